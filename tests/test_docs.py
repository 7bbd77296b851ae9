"The offline docs site builds, and its pages show what a reader needs, in a real (headless) browser."
import functools, http.server, re, shutil, subprocess, sys, threading, time, urllib.request
from pathlib import Path
import pytest
from readme import ROOT
pytestmark = pytest.mark.xdist_group('test_docs')  # one worker runs the module, so its fixtures are made once

BIN = Path(sys.executable).parent

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    # the notebooks' saved outputs (tests/test_outputs.py keeps them equal to fresh ones)
    r = subprocess.run([BIN / 'autodo-docs', '--out', '_docs', '--no-execute'], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    docs = ROOT / '_docs'
    pages = {p.stem for p in docs.glob('*.html')}
    assert {p.stem for p in (ROOT / 'nbs').glob('*.ipynb')} <= pages, 'every notebook has a page'
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()

@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chromium, driver = shutil.which('chromium'), shutil.which('chromedriver')
    assert chromium and driver, "Debian's chromium and chromium-driver are needed (.ci/run installs them)"
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for a in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--window-size=1300,2000'): o.add_argument(a)
    b = webdriver.Chrome(options=o, service=Service(driver))
    yield b
    b.quit()

def wait_for(browser, script, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = browser.execute_script(script)
        if v: return v
        time.sleep(0.25)
    return browser.execute_script(script)

LOADED_IMAGES = "return [...document.images].filter(i => i.complete && i.naturalWidth > 50).map(i => i.src.slice(0, 60))"
TYPESET = "return document.querySelectorAll('mjx-container').length"  # MathJax's output: one element per typeset equation
STYLED = "return getComputedStyle(document.querySelector('.md-header')).position"  # 'static' where the theme's stylesheet is missing

@pytest.mark.parametrize('page', ['05_hypergrad', '16_labels'])
def test_equations_are_typeset_opened_from_disk_and_served(site, browser, page):
    for url in ((ROOT / '_docs' / f'{page}.html').as_uri(), f'{site}/{page}.html'):
        browser.get(url)
        assert wait_for(browser, TYPESET) >= 3, url
        assert browser.execute_script(STYLED) != 'static', url

def test_the_home_page_from_disk_shows_its_figures_and_links_to_pages(site, browser):
    browser.get((ROOT / '_docs' / 'index.html').as_uri())
    assert any('figures/policies.png' in s for s in wait_for(browser, LOADED_IMAGES))
    browser.get(browser.find_element('link text', 'Implicit hypergradients').get_attribute('href'))
    assert browser.current_url.startswith('file://') and wait_for(browser, TYPESET) >= 3

def test_no_page_has_a_site_absolute_path(site):
    for page in (ROOT / '_docs').rglob('*.html'):
        assert not re.findall(r'\b(?:src|href)="/(?!/)[^"]*"', page.read_text()), page

def test_serve_prints_its_address_and_serves_the_site(site):
    p = subprocess.Popen([BIN / 'autodo-docs', '--serve', '--port', '0', '--out', '_docs'], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r'http://localhost:\d+/', p.stdout.readline())[0]
        assert b'Implicit hypergradients' in urllib.request.urlopen(url + '05_hypergrad.html', timeout=30).read()
    finally: p.terminate(); p.wait(30)
    r = subprocess.run([BIN / 'autodo-docs', '--serve', '--out', 'nowhere'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and 'nowhere holds no built site (no index.html): build it first' in r.stderr, r.stderr

def test_index_page_shows_the_figures(site, browser):
    browser.get(site + '/index.html')
    assert 'autodo' in browser.title
    imgs = wait_for(browser, LOADED_IMAGES)
    assert any('figures/policies.png' in s for s in imgs), imgs
    assert 'Quick start' in browser.find_element('tag name', 'body').text

def test_hypergrad_page_shows_signature_docstring_equations_and_figure(site, browser):
    browser.get(site + '/05_hypergrad.html')
    text = browser.find_element('tag name', 'body').text
    assert 'Implicit hypergradients' in text
    assert 'def hypergrad(' in text and 'train_loss:torch.Tensor' in text.replace(' ', '').replace(':torch', ':torch')
    assert 'Implicit-function-theorem hypergradient' in text
    n_math = wait_for(browser, "return document.querySelectorAll('mjx-container').length")
    assert n_math > 10, n_math
    assert 'echo: false' not in text and 'target="_blank"' not in text
    assert any(s.startswith('data:image/png') for s in wait_for(browser, LOADED_IMAGES)), 'the Neumann convergence figure'

def test_home_page_shows_the_table_once_and_the_navigation_follows_the_paper(site, browser):
    browser.get(site + '/index.html')
    text = browser.find_element('tag name', 'body').text
    assert text.count('autodo_aws (3 runs)') == 1, 'the CPU-scale table appears once'
    assert not any('table_Digits_cpu.png' in s for s in browser.execute_script(LOADED_IMAGES))
    nav = browser.execute_script("return [...document.querySelectorAll('.md-nav--primary > .md-nav__list > .md-nav__item > label, "
                                 ".md-nav--primary > .md-nav__list > .md-nav__item > a')].map(e => e.textContent.trim())")
    assert [n for n in nav if n in ('The method', 'Reproduction', 'Tools')] == ['The method', 'Reproduction', 'Tools'], nav
    assert nav.index('The method') > 0, 'the home page first'

def test_learned_augmentation_page_shows_warped_images(site, browser):
    browser.get(site + '/08_method.html')
    text = browser.find_element('tag name', 'body').text
    assert 'What the augmentation learned, on images' in text and 'Gumbel' in text
    assert len([s for s in wait_for(browser, LOADED_IMAGES) if s.startswith('data:image/png')]) >= 2, 'the weights and the warped images'

def test_experiment_pages_show_a_real_cpu_scale_run(site, browser):
    for name in ('experiment', 'table', 'density'):
        browser.get(f'{site}/experiments/{name}.html')
        text = browser.find_element('tag name', 'body').text
        assert 'CPU scale. The outputs below come from a real run of this notebook' in text, name
        assert any(s.startswith('data:image/png') for s in wait_for(browser, LOADED_IMAGES)), f'{name}: no figure of the run'
        if name == 'experiment': assert '"test_error_best"' in text, 'the run\'s results'

def _top_level_names(module:Path) -> list:
    "Functions and classes a module defines at top level, in order (methods added with `@patch` or `@patch_to` aside)"
    import ast
    patched = lambda n: any(getattr(getattr(d, 'func', d), 'id', None) in ('patch', 'patch_to') for d in getattr(n, 'decorator_list', []))
    return [n.name for n in ast.parse(module.read_text()).body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not patched(n)]

def test_api_cards_follow_the_source_order(site):
    import re
    from autodo.docs import page_names
    pages = page_names(ROOT / 'nbs')
    for module in sorted((ROOT / 'autodo').glob('[!_]*.py')):
        html = (ROOT / '_docs' / f'{pages[module.stem]}.html').read_text()
        defined = _top_level_names(module)
        cards = re.findall(r'<h3 id="[^"]+">([\w.]+)<', html)
        shown = [n for n in cards if n in defined and cards.count(n) == 1]
        assert len(shown) >= 2 or module.stem in ('cli', 'method'), (module.stem, cards)
        assert shown == sorted(shown, key=defined.index), f'{module.stem}: cards {shown}, source order {defined}'

LINKS = "return [...document.querySelectorAll('a[href]')].map(a => a.href)"

def test_every_internal_link_of_every_page_leads_to_a_page_and_its_anchor(site, browser):
    import re, urllib.request
    from urllib.parse import urldefrag
    pages, seen, broken = [site + '/index.html'], set(), []
    html = {}
    def fetch(url):
        if url not in html:
            try: html[url] = urllib.request.urlopen(url, timeout=30).read().decode('utf-8', 'replace')
            except OSError: html[url] = None
        return html[url]
    while pages:
        page = pages.pop()
        if page in seen: continue
        seen.add(page)
        browser.get(page)
        for link in browser.execute_script(LINKS):
            if link.startswith(('https://autodo.github.io', 'https://github.com/autodo/')): broken.append(f'{page} -> {link} (placeholder host)')
            if not link.startswith(site): continue  # external
            url, anchor = urldefrag(link)
            body = fetch(url)
            if body is None: broken.append(f'{page} -> {link}'); continue
            if anchor and not re.search(rf'''(id|name)=["']{re.escape(anchor)}["']''', body): broken.append(f'{page} -> {link} (no anchor)')
            if url.endswith('.html') and url not in seen: pages.append(url)
    assert len(seen) > 20, seen
    assert not broken, f'{len(broken)} broken internal links: ' + '\n'.join(broken[:20])
