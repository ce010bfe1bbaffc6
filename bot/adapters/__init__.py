"""One adapter per platform: platform updates in, platform-neutral messages out, and back."""
