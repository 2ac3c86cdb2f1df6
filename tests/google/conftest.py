"""The Google connectors run against one real Workspace emulator per session, reset before each test."""

from emulator.testing import emulator_fixture, workspace_fixture

emulator = emulator_fixture()
workspace = workspace_fixture()
