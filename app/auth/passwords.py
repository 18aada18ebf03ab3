"""Password rules, applied by the account services whatever the way in (form, admin, CLI).

After NIST SP 800-63B: length matters, composition rules do not; refuse the passwords an
attacker tries first (common ones, the username, one character repeated). Long passphrases
are welcome (up to 256 characters; the hash takes any length).
"""

MIN_LENGTH = 10
MAX_LENGTH = 256
# The most used passwords of public breach lists that are 10+ characters long, plus this
# product's own name: what a password-spraying attack tries first.
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "0987654321",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "asdfghjkl1",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou12",
        "princess12",
        "football12",
        "baseball12",
        "welcome123",
        "letmein123",
        "changeme123",
        "administrator",
        "lotline123",
        "lotlinelotline",
    }
)


def problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a new password, in words a user can act on (empty when fine)."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters (a few words make a good password)."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.lower()
    found = []
    if username and username.lower() in lowered:
        found.append("Do not use your username in the password.")
    if len(set(password)) < 4:
        found.append("Use more different characters.")
    if lowered in COMMON or lowered.startswith("password"):
        found.append("This password is among the first ones attackers try; choose another.")
    return found
