# make demo [PORT=8080] [LAN=1]   (LAN=1: phones on the same Wi-Fi can open it; the address is printed)
PORT ?= 8000
LAN ?=

demo:
	scripts/setup.sh demo
	.venv/bin/shanlian demo --port $(PORT)$(if $(LAN), --lan,)

test:
	scripts/test.sh

.PHONY: demo test
