//! Face-to-face letters: fixtures, wording, print rules.
