"""Electronic signatures: re-enter the password, choose a meaning, record who, when and why."""
