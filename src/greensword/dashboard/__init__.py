"""The leader's dashboard (领导驾驶舱): this year's figures, the months, the unit's evaluation
trend, overdue case steps and open leads — read from the other domains' services only."""
