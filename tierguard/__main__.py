from tierguard.cli import run

run()
