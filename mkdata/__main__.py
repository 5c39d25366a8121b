from mkdata.cli import app

app(prog_name="mkdata")
