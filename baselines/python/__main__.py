"""Entry point of the Python baseline: `python3 baselines/python --role ROLE --addr HOST:PORT`,
or the built zip app, `python3 bin/baseline-python.pyz ...`. See gauntlet_baseline/main.py."""
import sys

from gauntlet_baseline.main import main

sys.exit(main(sys.argv[1:]))
