if __name__ == "__main__":  # spawned workers (vLLM, process pools) re-import this module
    from mkdata.cli import run

    run()
