"""Registry: agencies (tree), officers, enterprises, monitoring points — the directories every
other domain draws on."""
