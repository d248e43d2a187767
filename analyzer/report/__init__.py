"""Reports: text, trees, JSON and pictures made from decoded packets and analyses (strings out, no printing)."""
