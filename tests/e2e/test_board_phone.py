"""The progress board, the QR sheet and a signed link on a 360 px phone (WeChat's user agent)."""
from __future__ import annotations

import ctypes
import ctypes.util
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from survey.links import operations
from survey.links.tokens import make_token
from tests.e2e.test_phone_flows import assert_fits_phone, login, small_tap_targets
from tests.factories import make_unit
from tests.test_board import board_world  # noqa: F401  (the fixture: four units in every state)


def test_the_board_on_a_phone_and_the_reminder_copied(live_server, phone, board_world, artifacts_dir):  # noqa: F811
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    login(phone, live_server, "insp")
    phone.wait_for_url(live_server + "/")
    phone.goto(f"{live_server}/rounds/{board_world['round'].id}")
    phone.get_by_role("link", name="进度看板 · 催办").tap()
    expect(phone.locator("h1")).to_have_text("进度看板")
    expect(phone.locator(".board-row")).to_have_count(3)
    assert_fits_phone(phone)
    assert [t for t in small_tap_targets(phone) if "复制" in t] == []
    phone.screenshot(path=str(artifacts_dir / "board-360.png"), full_page=True)
    text = phone.locator("#reminder").input_value()
    assert "以下2个单位尚未提交自查表" in text and "区委办" in text and "区住建局" not in text
    phone.get_by_role("button", name="复制提醒文字").tap()
    expect(phone.locator("#reminder-status")).to_have_text("已复制，可以粘贴到微信群了")
    assert phone.evaluate("() => navigator.clipboard.readText()") == text
    phone.get_by_role("link", name=re.compile("未提交名单")).tap()
    expect(phone.locator(".board-row")).to_have_count(2)
    phone.screenshot(path=str(artifacts_dir / "board-not-submitted-360.png"), full_page=True)


def test_without_the_clipboard_the_reminder_is_selected_for_a_long_press(live_server, browser, board_world):  # noqa: F811
    from tests.e2e.test_ledger_phone import phone_page

    context, page = phone_page(browser)
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});"
                            "document.execCommand = function () { return false; };")
    login(page, live_server, "boss")
    page.wait_for_url(live_server + "/")
    page.goto(f"{live_server}/rounds/{board_world['round'].id}/progress")
    page.get_by_role("button", name="复制提醒文字").tap()
    expect(page.locator("#reminder-status")).to_contain_text("长按")
    length = len(page.locator("#reminder").input_value())
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'reminder'")
    selection = page.evaluate("() => [document.activeElement.selectionStart, document.activeElement.selectionEnd]")
    assert selection == [0, length]
    context.close()


def _sheet(live_server, phone, board_world, artifacts_dir, extra_units=0):  # noqa: F811
    rnd = board_world["round"]
    link = operations.issue_link(board_world["admin"], rnd, board_world["units"]["区委办"])
    from survey.extensions import db
    from survey.models import RoundUnit
    for i in range(extra_units):
        db.session.add(RoundUnit(round_id=rnd.id, unit_id=make_unit(f"示范单位{i + 1:02d}").id))
    db.session.commit()
    login(phone, live_server, "boss")
    phone.wait_for_url(live_server + "/")
    phone.goto(f"{live_server}/rounds/{rnd.id}/qr")
    return link


def test_the_qr_sheet_on_a_phone_and_on_a4(live_server, phone, board_world, artifacts_dir):  # noqa: F811
    link = _sheet(live_server, phone, board_world, artifacts_dir, extra_units=20)
    cards = phone.locator(".qr-card")
    expect(cards).to_have_count(24)
    assert phone.locator(".qr-card svg").count() == 24
    signed = phone.locator(".qr-card[data-signed=yes] .qr-url")
    expect(signed).to_have_text(f"{live_server}/l/{make_token(link.id, link.nonce)}")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "qr-sheet-360.png"), full_page=False)
    pdf = phone.pdf(format="A4", print_background=True)
    (artifacts_dir / "qr-sheet-a4.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 2, f"24 codes at 12 an A4 page: {pages} pages"
    phone.get_by_role("link", name="管理免密链接").tap()
    expect(phone.locator(".link-row[data-state=active]")).to_have_count(1)
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "links-manage-360.png"), full_page=False)
    assert phone.outside_requests == []


def _zbar():
    name = ctypes.util.find_library("zbar")
    if not name:
        pytest.skip("libzbar (Debian libzbar0) is not installed: cannot decode QR codes")
    lib = ctypes.CDLL(name)
    p, cp = ctypes.c_void_p, ctypes.c_char_p
    for fn, res, args in (("zbar_image_scanner_create", p, []), ("zbar_image_create", p, []),
                          ("zbar_image_scanner_set_config", ctypes.c_int, [p, ctypes.c_int, ctypes.c_int, ctypes.c_int]),
                          ("zbar_image_set_format", None, [p, ctypes.c_ulong]),
                          ("zbar_image_set_size", None, [p, ctypes.c_uint, ctypes.c_uint]),
                          ("zbar_image_set_data", None, [p, p, ctypes.c_ulong, p]),
                          ("zbar_scan_image", ctypes.c_int, [p, p]), ("zbar_image_first_symbol", p, [p]),
                          ("zbar_symbol_next", p, [p]), ("zbar_symbol_get_data", cp, [p]),
                          ("zbar_image_destroy", None, [p]), ("zbar_image_scanner_destroy", None, [p])):
        getattr(lib, fn).restype, getattr(lib, fn).argtypes = res, args
    return lib


def decode_qr(png: bytes) -> list[str]:
    """The texts of the QR codes in a PNG, read by zbar (through ctypes: no Python package needed)."""
    lib = _zbar()
    gray = Image.open(io.BytesIO(png)).convert("L")
    data = gray.tobytes()
    buf = ctypes.create_string_buffer(data, len(data))
    scanner, image = lib.zbar_image_scanner_create(), lib.zbar_image_create()
    lib.zbar_image_scanner_set_config(scanner, 0, 0, 1)  # every symbology, enabled
    lib.zbar_image_set_format(image, int.from_bytes(b"Y800", "little"))
    lib.zbar_image_set_size(image, *gray.size)
    lib.zbar_image_set_data(image, buf, len(data), None)
    lib.zbar_scan_image(scanner, image)
    found, symbol = [], lib.zbar_image_first_symbol(image)
    while symbol:
        found.append(lib.zbar_symbol_get_data(symbol).decode())
        symbol = lib.zbar_symbol_next(symbol)
    lib.zbar_image_destroy(image)
    lib.zbar_image_scanner_destroy(scanner)
    return found


def test_each_printed_qr_code_decodes_to_its_link(live_server, phone, board_world, artifacts_dir):  # noqa: F811
    _zbar()
    _sheet(live_server, phone, board_world, artifacts_dir)
    phone.set_viewport_size({"width": 794, "height": 1123})  # an A4 page at 96 dpi
    phone.emulate_media(media="print")  # as printed: 38 mm codes, no menu bars over them
    cards = phone.locator(".qr-card")
    expect(cards).to_have_count(4)
    for i in range(4):
        card = cards.nth(i)
        png = card.locator(".qr-code").screenshot()
        (artifacts_dir / f"qr-code-{i + 1}.png").write_bytes(png)
        assert decode_qr(png) == [card.locator(".qr-url").inner_text()]


def test_a_phone_opening_a_signed_link_lands_on_the_self_check_without_a_login(
        live_server, phone, board_world, artifacts_dir):  # noqa: F811
    link = operations.issue_link(board_world["admin"], board_world["round"], board_world["units"]["区委办"])
    from survey.extensions import db
    db.session.commit()
    phone.goto(f"{live_server}/l/{make_token(link.id, link.nonce)}")
    expect(phone.locator("h1")).to_have_text("区委办 · 单位自查")
    assert re.search(r"/submissions/\d+$", phone.url)
    expect(phone.locator(".who")).to_contain_text("张三")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "signed-link-self-check-360.png"), full_page=False)
    phone.locator(".bottomnav a", has_text="首页").tap()
    phone.wait_for_url(f"{live_server}/l")
    expect(phone.locator("h1")).to_have_text("区委办")
    phone.screenshot(path=str(artifacts_dir / "signed-link-home-360.png"), full_page=True)
    phone.goto(f"{live_server}/admin/users")
    expect(phone.locator(".link-refused h1")).to_have_text("无法访问")
    phone.screenshot(path=str(artifacts_dir / "signed-link-refused-360.png"), full_page=True)
    phone.locator(".link-refused a", has_text="返回本单位").tap()
    phone.get_by_role("link", name="查看和整改问题").tap()
    phone.wait_for_url(re.compile(r"/ledger\?round=\d+$"))
    phone.goto(f"{live_server}/l")
    phone.get_by_role("button", name="退出免密访问").tap()
    phone.wait_for_url(re.compile(r"/login$"))
