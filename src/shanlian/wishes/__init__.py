"""Micro-wishes (微心愿): a beneficiary's small need, posted de-identified by the station, claimed, fulfilled, confirmed."""
