"""The core: data contracts and the one lifecycle every command runs on."""
