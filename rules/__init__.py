"""The ASP encodings of tipasp (*.lp), shipped as package data."""
