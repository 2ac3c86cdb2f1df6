"""The emulator suite runs against one real emulator per session, reset before each test."""

from emulator.testing import emulator_fixture, workspace_fixture

emulator = emulator_fixture()
workspace = workspace_fixture()
