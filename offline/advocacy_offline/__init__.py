"""The offline mode: the whole system on one machine with moto, from template.yaml.

Nothing deployed to Lambda imports this package.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
