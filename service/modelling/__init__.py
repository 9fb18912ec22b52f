"""Offline modelling: the synthetic population and the fit of a points scorecard."""
