"""Synthetic government portals and report documents, for the test suite, the demo and `nianbao sandbox serve`."""
