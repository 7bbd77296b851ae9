"Render README.md from nbs/index.ipynb (offline; `nbdev_readme` needs Quarto). Run: python tests/readme.py"
import json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- Generated from nbs/index.ipynb by `python tests/readme.py`: edit the notebook, not this file. -->\n\n'

def render_readme(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    "Markdown of `nb_path`: markdown cells as they are, code cells fenced, `#| hide` cells left out"
    parts = []
    for cell in json.loads(Path(nb_path).read_text())['cells']:
        src = ''.join(cell['source']).strip()
        if not src or re.match(r'#\|\s*hide', src): continue
        parts.append(src if cell['cell_type'] == 'markdown' else f'```python\n{src}\n```')
    return HEADER + '\n\n'.join(parts).replace('](../figures/', '](figures/') + '\n'

if __name__ == '__main__': (ROOT/'README.md').write_text(render_readme())
