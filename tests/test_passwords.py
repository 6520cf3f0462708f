"""The password policy: at least 8 characters and 3 of 4 classes."""
import pytest

from survey.passwords import policy_error


@pytest.mark.parametrize("password", ["Abcdefg1", "abcdefg1!", "ABCDEFG1!", "Abcdefg!", "Demo@2026",
                                      "密码Abc123"])
def test_acceptable_passwords(password):
    assert policy_error(password) is None


@pytest.mark.parametrize("password, reason", [
    ("Ab1!", "至少 8 位"), ("", "至少 8 位"), ("abcdefgh", "至少三类"), ("abcdefg1", "至少三类"),
    ("ABCDEFG!", "至少三类"), ("12345678", "至少三类"), ("A" * 129 + "a1", "不能超过"),
])
def test_refused_passwords(password, reason):
    assert reason in policy_error(password)
