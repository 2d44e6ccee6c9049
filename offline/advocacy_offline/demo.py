"""The bundled demo: a realistic, fictional provisional file and a response script."""

from pathlib import Path

HERE = Path(__file__).resolve().parent / "demo"
DEMO_FILE = HERE / "provisional_demo.csv"
DEMO_RESPONSES = HERE / "responses_demo.json"
