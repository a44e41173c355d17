"""The server's capabilities, one module each; `server.py` lists them."""
