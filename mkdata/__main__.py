from mkdata.cli import app

if __name__ == "__main__":  # spawned workers (vLLM, process pools) re-import this module
    app(prog_name="mkdata")
