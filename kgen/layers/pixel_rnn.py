"""PixelRNN layers: Row LSTM and Diagonal BiLSTM."""

__all__ = []
