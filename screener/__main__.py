from screener.cli import app

app(prog_name="screener")
