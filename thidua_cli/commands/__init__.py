"""One module per `thidua` command; thidua_cli/main.py assembles them."""
