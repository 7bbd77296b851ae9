"Your own image folders as users meet them: 16-bit images load scaled at the folder's bit depth, symbolic links count each image once, and huge or unreadable images, a loop or a duplicate through a link end in one clear error naming the file (exit 2, no traceback)."
import os, struct, zlib
from pathlib import Path
import numpy as np, pytest
from PIL import Image
import autodo.data
from autodo.data import image_folder
from clirun import run_cli

def assert_clean_error(r, *texts):
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert 'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for t in texts: assert t in r.stderr, r.stderr

def image_set(d:Path, per_class:int=5, classes=('a', 'b')) -> Path:
    "Tiny 8x8 greyscale PNGs in d/train/<class>/, each of its own grey level"
    for c, name in enumerate(classes):
        (d / 'train' / name).mkdir(parents=True)
        for i in range(per_class): Image.new('L', (8, 8), 20 * c + 3 * i).save(d / 'train' / name / f'{i}.png')
    return d

def train_cli(d:Path, tmp_path:Path, *args):
    return run_cli('autodo-train', '--dataset', d, '--data', tmp_path / 'root', '--epochs', 1, '--no-progress', '--method', 'baseline', *args)

def png_header(w:int, h:int) -> bytes:
    "A PNG file that claims to be `w` x `h` greyscale pixels (its image data is a few bytes)"
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))

# 16-bit and float images

def pixels(info, split='train'):
    "Each image of `split` as a numpy array, by label"
    x, y = info.load(None, split, False)
    return [(int(l), a[0].numpy()) for l, a in zip(y, x)]

def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    d = image_set(tmp_path / 'deep', per_class=0, classes=('png16', 'tif16b', 'tif32', 'float1'))
    n = 5
    ramp = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000 + 7  # 7 ... 63007
    arrays = {'png16': (ramp, 'png', 'I;16'), 'tif16b': (ramp.astype('>u2'), 'tif', 'I;16B'), 'tif32': (ramp.astype(np.int32), 'tif', 'I'),
              'float1': (ramp.astype(np.float32) / 65535, 'tif', 'F')}
    for name, (a, ext, mode) in arrays.items():
        for i in range(n):
            f = d / 'train' / name / f'{i}.{ext}'
            Image.fromarray(a).save(f)
            assert Image.open(f).mode == mode
    info = image_folder(d)
    assert info.channels == 1 and info.size == 8 and info.sizes == {'train': 16, 'test': 4}
    want = np.rint(ramp / 257).astype(np.uint8)
    assert want.max() == 245 and (want < 255).all(), 'the ramp has no white pixel: clipping would show'
    for label, a in pixels(info) + pixels(info, 'test'):
        assert np.abs(a.astype(int) - want).max() <= (1 if info.classes[label].startswith('float') else 0), (info.classes[label], a, want)

def test_a_folder_is_read_at_one_bit_depth(tmp_path):
    "12-bit PNGs keep their contrast, and a class dark enough to fit in 8 bits is read at the folder's 12 bits, not as it is"
    d = image_set(tmp_path / 'twelve', per_class=0, classes=('bright', 'dark'))
    ramp = np.arange(64, dtype=np.uint16).reshape(8, 8) * 64 + 63  # 63 ... 4095: 12 bits
    for i in range(5):
        Image.fromarray(ramp).save(d / 'train' / 'bright' / f'{i}.png'); Image.fromarray(ramp // 16).save(d / 'train' / 'dark' / f'{i}.png')
    info = image_folder(d)
    for label, a in pixels(info) + pixels(info, 'test'):
        want = ramp if info.classes[label] == 'bright' else ramp // 16
        assert (a == np.rint(want.astype(float) * 255 / 4095)).all(), (info.classes[label], a)

def png48(path:Path, a:np.ndarray):
    "A colour PNG of 16 bits a channel holding `a` `(H, W, 3)`, or `(H, W, 4)` with alpha (Pillow cannot write one)"
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    h, w, c = a.shape
    raw = b''.join(b'\0' + a[y].astype('>u2').tobytes() for y in range(h))
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, 2 if c == 3 else 6, 0, 0, 0))
                     + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))

def test_sixteen_bit_colour_pngs_are_read_whole(tmp_path):
    "Pillow reads a 48-bit PNG's high bytes only (12-bit values would come out 0..15): they are decoded whole, at the folder's depth"
    d = image_set(tmp_path / 'rgb48', per_class=0, classes=('bright', 'dark'))
    ramp = (np.arange(64 * 3, dtype=np.uint16).reshape(8, 8, 3) * 21 + 7)  # 7 ... 4018: 12 bits
    opaque = np.full((8, 8, 1), 65535, np.uint16)  # a 16-bit alpha: not the colour's depth
    for i in range(5):
        png48(d / 'train' / 'bright' / f'{i}.png', ramp); png48(d / 'train' / 'dark' / f'{i}.png', np.concatenate([ramp // 16, opaque], 2))
    assert Image.open(d / 'train' / 'bright' / '0.png').mode == 'RGB' and Image.open(d / 'train' / 'dark' / '0.png').mode == 'RGBA'
    info = image_folder(d)
    x, y = info.load(None, 'train', False)
    for label, a in zip(y, x):
        want = ramp if info.classes[label] == 'bright' else ramp // 16
        assert (a.permute(1, 2, 0).numpy() == np.rint(want.astype(float) * 255 / 4095)).all(), info.classes[label]

def test_a_float_image_of_sixteen_bit_values_is_refused_by_name(tmp_path):
    d = image_set(tmp_path / 'f16')
    Image.fromarray(np.full((8, 8), 40000., np.float32)).save(d / 'train' / 'a' / 'wide.tif')
    assert_clean_error(train_cli(d, tmp_path), str(d / 'train' / 'a' / 'wide.tif'), "mode 'F' holds values from 40000 to 40000: give float images in [0, 1] or [0, 255]")

def test_a_normalised_float_image_is_refused_by_name(tmp_path):
    d = image_set(tmp_path / 'neg')
    Image.fromarray(np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8)).save(d / 'train' / 'a' / 'normalised.tif')
    assert_clean_error(train_cli(d, tmp_path), str(d / 'train' / 'a' / 'normalised.tif'), "mode 'F' holds values from -1 to 1")

def test_a_float_image_in_8_bit_range(tmp_path):
    d = image_set(tmp_path / 'f8', per_class=0, classes=('a', 'b'))
    for name, v in [('a', 100.), ('b', 200.)]:
        for i in range(3): Image.fromarray(np.full((8, 8), v, np.float32)).save(d / 'train' / name / f'{i}.tif')
    assert {(l, int(a.max())) for l, a in pixels(image_folder(d))} == {(0, 100), (1, 200)}

# symbolic links

@pytest.fixture
def two_classes(tmp_path): return image_set(tmp_path / 'imgs')

def test_a_link_loop_is_refused(two_classes, tmp_path):
    (two_classes / 'train' / 'a' / 'loop').symlink_to('..')
    assert_clean_error(train_cli(two_classes, tmp_path), str(two_classes / 'train' / 'a' / 'loop'), 'remove the link')

def test_a_link_to_itself_is_refused(two_classes, tmp_path):
    (two_classes / 'train' / 'a' / 'me').symlink_to('.')
    assert_clean_error(train_cli(two_classes, tmp_path), str(two_classes / 'train' / 'a' / 'me'), 'remove the link')

def test_a_link_to_another_class_folder_is_refused(two_classes, tmp_path):
    (two_classes / 'train' / 'a' / 'b').symlink_to('../b')
    assert_clean_error(train_cli(two_classes, tmp_path), str(two_classes / 'train' / 'a' / 'b'), str(two_classes / 'train' / 'b'),
                       'remove the link')

def test_the_same_image_under_two_classes_is_refused(two_classes, tmp_path):
    (two_classes / 'train' / 'b' / 'dup.png').symlink_to('../a/0.png')
    assert_clean_error(train_cli(two_classes, tmp_path), str(two_classes / 'train' / 'b' / 'dup.png'), str(two_classes / 'train' / 'a' / '0.png'))

def test_the_same_image_in_train_and_test_is_refused(two_classes, tmp_path):
    for c in 'ab': (two_classes / 'test' / c).mkdir(parents=True)
    (two_classes / 'test' / 'a' / 'x.png').symlink_to(two_classes / 'train' / 'a' / '1.png')
    (two_classes / 'test' / 'b' / 'y.png').write_bytes((two_classes / 'train' / 'b' / '1.png').read_bytes())  # a copy is another file
    assert_clean_error(train_cli(two_classes, tmp_path), str(two_classes / 'test' / 'a' / 'x.png'), 'remove the link or the duplicate')

def test_links_out_of_the_tree_are_followed_once(two_classes, tmp_path):
    outside = image_set(tmp_path / 'elsewhere', per_class=3, classes=('more',))
    (two_classes / 'train' / 'a' / 'more').symlink_to(outside / 'train' / 'more')
    (two_classes / 'train' / 'b' / 'one.png').symlink_to(outside / 'train' / 'more' / '0.png')
    with pytest.raises(ValueError, match='more/0.png'): image_folder(two_classes)  # one.png is also in `more`
    (two_classes / 'train' / 'b' / 'one.png').unlink()
    (two_classes / 'train' / 'b' / 'linked.png').symlink_to(tmp_path / 'lone.png')
    Image.new('L', (8, 8), 250).save(tmp_path / 'lone.png')
    info = image_folder(two_classes)
    assert info.sizes['train'] + info.sizes['test'] == 5 + 3 + 5 + 1
    counts = np.bincount([l for l, _ in pixels(info) + pixels(info, 'test')])
    assert counts.tolist() == [8, 6]
    r = train_cli(two_classes, tmp_path)
    assert r.returncode == 0, r.stderr

def test_a_class_folder_that_is_a_link_is_a_class(tmp_path):
    d = image_set(tmp_path / 'imgs', classes=('a',))
    outside = image_set(tmp_path / 'elsewhere', classes=('b',))
    (d / 'train' / 'b').symlink_to(outside / 'train' / 'b')
    info = image_folder(d)
    assert info.classes == ('a', 'b') and info.sizes['train'] + info.sizes['test'] == 10

# huge images

@pytest.mark.parametrize('w, h', [(9000, 9000), (10000, 10000), (20000, 20000)])  # over 2**26 pixels; over Pillow's warning; its error
def test_huge_images_are_refused_before_decoding(two_classes, tmp_path, w, h):
    f = two_classes / 'train' / 'a' / 'huge.png'
    f.write_bytes(png_header(w, h))
    assert_clean_error(train_cli(two_classes, tmp_path), str(f), 'too large', 'shrink it')

def test_a_huge_image_size_is_refused(two_classes, tmp_path):
    assert_clean_error(train_cli(two_classes, tmp_path, '--image-size', 100000), 'image_size=100000', '4096')

def test_arrays_larger_than_memory_are_refused(two_classes, tmp_path, monkeypatch):
    monkeypatch.setattr(autodo.data, 'memory_bytes', lambda: 10 ** 6)
    assert_clean_error(train_cli(two_classes, tmp_path, '--image-size', 256), 'image_size=256', 'smaller --image-size')
    assert train_cli(two_classes, tmp_path, '--image-size', 16).returncode == 0

# unreadable images

def truncated(f): f.write_bytes(f.read_bytes()[:len(f.read_bytes()) // 2])
def empty(f): f.write_bytes(b'')
def text(f): f.write_text('this is not an image\n')
def bad_header(f): f.write_bytes(b'P5\n8 8Q\n255\n' + bytes(64))  # a PGM whose size does not parse: a ValueError in Pillow
def text_bomb(f):  # a PNG text chunk that inflates past Pillow's limit: a ValueError in Pillow
    data = f.read_bytes()
    body = b'zTXtComment\0\0' + zlib.compress(b'a' * (2 << 20))
    f.write_bytes(data[:33] + struct.pack('>I', len(body) - 4) + body + struct.pack('>I', zlib.crc32(body)) + data[33:])
def unreadable(f):
    if os.geteuid() == 0: pytest.skip('root reads files without read permission')
    f.chmod(0)

@pytest.mark.parametrize('spoil', [truncated, empty, text, bad_header, text_bomb, unreadable])
def test_every_unreadable_image_is_named(two_classes, tmp_path, spoil):
    f = two_classes / 'train' / 'b' / 'x.png'
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(f)
    spoil(f)
    assert_clean_error(train_cli(two_classes, tmp_path), f"image '{f}' cannot be read", 'replace it with a good copy, or remove it')

# what the data is

def test_the_fingerprint_follows_the_images(tmp_path):
    d = image_set(tmp_path / 'one' / 'imgs')
    first = image_folder(d).fingerprint
    assert len(first) == 16 and image_folder(d).fingerprint == first
    assert image_folder(image_set(tmp_path / 'two' / 'imgs')).fingerprint == first, 'the same images elsewhere'
    other = image_set(tmp_path / 'three' / 'imgs')
    Image.new('L', (8, 8), 99).save(other / 'train' / 'a' / '0.png')
    assert image_folder(other).fingerprint != first, 'another image under the same name'
    (d / 'train' / 'a' / '4.png').rename(d / 'train' / 'b' / '9.png')
    assert image_folder(d).fingerprint != first, 'an image moved to another class, seen by the same process'

# folders named like a dataset, pipes, hidden files, hard links, one class, unreadable folders

@pytest.mark.parametrize('name', ['Digits', 'MNIST'])
def test_a_folder_named_like_a_registered_dataset_is_refused(tmp_path, name):
    d = image_set(tmp_path / 'x' / name)
    assert_clean_error(train_cli(d, tmp_path), f'folder {d} is named like the registered dataset {name}', 'rename the folder')

def test_a_missing_dataset_folder_is_named(tmp_path):
    assert_clean_error(train_cli(tmp_path / 'nonexistent', tmp_path), f'dataset folder {tmp_path}/nonexistent does not exist')

def test_a_pipe_named_like_an_image_is_refused(two_classes, tmp_path):
    f = two_classes / 'train' / 'a' / 'pipe.png'
    os.mkfifo(f)
    assert_clean_error(train_cli(two_classes, tmp_path), f"image '{f}' is not a plain file", 'remove it')

def test_hidden_files_and_folders_are_skipped(two_classes, tmp_path):
    (two_classes / 'train' / '.ipynb_checkpoints').mkdir()
    (two_classes / 'train' / 'a' / '.cache').mkdir()
    Image.new('L', (8, 8)).save(two_classes / 'train' / 'a' / '.cache' / 'thumb.png')
    (two_classes / 'train' / 'b' / '._0.png').write_bytes(b'\0\5\26\7 AppleDouble')
    info = image_folder(two_classes)
    assert info.classes == ('a', 'b') and info.sizes['train'] + info.sizes['test'] == 10
    assert train_cli(two_classes, tmp_path).returncode == 0

def test_images_outside_a_class_folder_are_named_not_silently_dropped(two_classes, tmp_path):
    for n in ('x.png', 'y.png'): Image.new('L', (8, 8)).save(two_classes / 'train' / n)
    with pytest.warns(autodo.data.LooseImagesWarning, match=r"holds 2 image\(s\) outside any class folder \(x.png, y.png\)"):
        info = image_folder(two_classes)
    assert info.sizes['train'] + info.sizes['test'] == 10  # the class folders' images, no others
    r = train_cli(two_classes, tmp_path)
    assert r.returncode == 0 and f"warning: {two_classes / 'train'} holds 2 image(s) outside any class folder" in r.stderr, r.stderr

def test_a_hard_link_under_two_classes_is_refused(two_classes, tmp_path):
    os.link(two_classes / 'train' / 'a' / '0.png', two_classes / 'train' / 'b' / 'dup.png')
    assert_clean_error(train_cli(two_classes, tmp_path), str(two_classes / 'train' / 'b' / 'dup.png'),
                       str(two_classes / 'train' / 'a' / '0.png'), 'hard links')

def test_a_single_class_folder_is_refused(tmp_path):
    d = image_set(tmp_path / 'imgs', classes=('a',))
    assert_clean_error(train_cli(d, tmp_path), f"{d / 'train'} has only one class folder, a", 'at least 2')

def test_an_unreadable_class_folder_is_named(two_classes, tmp_path):
    if os.geteuid() == 0: pytest.skip('root reads folders without read permission')
    (two_classes / 'train' / 'b').chmod(0)
    try: assert_clean_error(train_cli(two_classes, tmp_path), f"folder {two_classes / 'train' / 'b'} cannot be read", 'make it readable')
    finally: (two_classes / 'train' / 'b').chmod(0o755)

def test_exif_orientation_is_applied(two_classes):
    exif = Image.Exif(); exif[0x0112] = 6  # stored sideways
    a = np.zeros((8, 12), np.uint8); a[:, :6] = 255  # left half white; upright: top half white
    Image.fromarray(a).save(two_classes / 'train' / 'a' / 'cam.jpg', exif=exif, quality=100)
    info = image_folder(two_classes, image_size=8)
    with autodo.data._open_image(two_classes / 'train' / 'a' / 'cam.jpg') as img: up = np.asarray(img)
    assert up.shape == (12, 8) and up[:6].mean() > 200 and up[6:].mean() < 50

def test_images_smaller_than_the_network_takes_are_refused_with_the_size_that_works(tmp_path):
    d = tmp_path / 'dots'
    for c in 'ab':
        (d / 'train' / c).mkdir(parents=True)
        for i in range(5): Image.new('L', (2, 2), 40 * i).save(d / 'train' / c / f'{i}.png')
    assert_clean_error(train_cli(d, tmp_path), "model='cnn' (--model) takes images of at least 4x4 pixels", "dots's are 2x2", '--image-size 4')
    assert run_cli('autodo-train', '--dataset', d, '--data', tmp_path / 'root', '--epochs', 1, '--no-progress', '--image-size', 4).returncode == 0
