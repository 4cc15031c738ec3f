demo:
	scripts/setup.sh demo
	.venv/bin/shanlian demo

test:
	scripts/test.sh

.PHONY: demo test
