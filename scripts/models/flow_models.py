"""The models of golden/models/flows/ (see its README.md): written as a user would, not tuned.

- WordLM: the model of PyTorch's "Dynamic Quantization on an LSTM Word Language Model"
  tutorial (Embedding encoder, Dropout, a stacked LSTM, Linear decoder), smaller.
- BagTagger: an EmbeddingBag per position, a two-layer bidirectional batch-first LSTM and a
  Linear head (quantized with a per-channel dynamic qconfig).
- CellStack: a 4-bit EmbeddingBag, a GRU, then LSTMCell, GRUCell and two RNNCells (tanh, relu)
  stepped over the sequence, and a Linear.
- StagesNet: a small CNN for static PTQ and QAT (conv-bn-relu, conv-bn, a residual add_relu, a
  bias-less Linear with ReLU, a Linear head).
"""
import torch
from torch import nn
from torch.ao.quantization import DeQuantStub, QuantStub


class WordLM(nn.Module):
    """The tutorial's RNNModel ('LSTM'): encoder -> dropout -> LSTM -> dropout -> decoder."""

    def __init__(self, ntoken=60, ninp=24, nhid=40, nlayers=3, dropout=0.2):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, tokens, hidden):
        emb = self.drop(self.encoder(tokens))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden

    def init_hidden(self, batch):
        zeros = torch.zeros(self.nlayers, batch, self.nhid)
        return zeros, zeros.clone()


class BagTagger(nn.Module):
    """Bags of tokens per position -> LSTM (2 layers, bidirectional, batch-first) -> Linear."""

    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(80, 16, mode="sum")
        self.rnn = nn.LSTM(16, 24, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(48, 5)

    def forward(self, indices, offsets, per_sample_weights, batch):
        e = self.bag(indices, offsets, per_sample_weights)
        y, _ = self.rnn(e.reshape(batch, -1, 16))
        return self.head(y)


class CellStack(nn.Module):
    """A 4-bit EmbeddingBag, a GRU, then four cells stepped over time, and a Linear."""

    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(40, 12, mode="sum")
        self.gru = nn.GRU(12, 20)
        self.lstm_cell = nn.LSTMCell(20, 18)
        self.gru_cell = nn.GRUCell(18, 17)
        self.tanh_cell = nn.RNNCell(17, 16)
        self.relu_cell = nn.RNNCell(16, 15, nonlinearity="relu")
        self.head = nn.Linear(15, 6)

    def forward(self, indices, offsets, steps):
        x = self.bag(indices, offsets).reshape(steps, -1, 12)
        g, _ = self.gru(x)
        batch = x.shape[1]
        h1 = c1 = torch.zeros(batch, 18)
        h2 = torch.zeros(batch, 17)
        h3 = torch.zeros(batch, 16)
        h4 = torch.zeros(batch, 15)
        outs = []
        for t in range(steps):
            h1, c1 = self.lstm_cell(g[t], (h1, c1))
            h2 = self.gru_cell(h1, h2)
            h3 = self.tanh_cell(h2, h3)
            h4 = self.relu_cell(h3, h4)
            outs.append(self.head(h4))
        return torch.stack(outs)


class StagesNet(nn.Module):
    """QuantStub, conv-bn-relu, conv-bn + residual add_relu, pool, bias-less Linear+ReLU, Linear."""

    FUSION = [["conv1", "bn1", "relu1"], ["conv2", "bn2"], ["fc1", "relu2"]]

    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.skip = nn.quantized.FloatFunctional()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(8, 16, bias=False)
        self.relu2 = nn.ReLU()
        self.fc2 = nn.Linear(16, 4)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(self.quant(x))))
        x = self.skip.add_relu(self.bn2(self.conv2(x)), x)
        x = self.flatten(self.pool(x))
        return self.dequant(self.fc2(self.relu2(self.fc1(x))))


class ActivationsNet(nn.Module):
    """Static PTQ through the activations and batch norm that convert quantizes: conv -> BN ->
    LeakyReLU, conv -> BN+ReLU (BNReLU2d, 70 channels: ATen's vector and scalar channels) ->
    Hardswish -> ELU -> Hardtanh -> Hardsigmoid, pool, Linear."""

    FUSION = [["bn2", "relu2"]]

    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(3, 12, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(12)
        self.leaky = nn.LeakyReLU(0.1)
        self.conv2 = nn.Conv2d(12, 70, 1)
        self.bn2 = nn.BatchNorm2d(70)
        self.relu2 = nn.ReLU()
        self.hswish = nn.Hardswish()
        self.elu = nn.ELU(0.7)
        self.htanh = nn.Hardtanh(-0.5, 2.0)
        self.hsig = nn.Hardsigmoid()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(70, 5)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.leaky(self.bn1(self.conv1(self.quant(x))))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.hsig(self.htanh(self.elu(self.hswish(x))))
        return self.dequant(self.fc(self.flatten(self.pool(x))))
