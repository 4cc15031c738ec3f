"""Micro-venture rounds (社区公益微创投): for now the allocation engine and pabulib files, without models."""
