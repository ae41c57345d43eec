# 2-2-1 网络：隐藏层两个 tanh 单元，输出层一个 sigmoid 单元，
# 一个样本上的前向传播和损失函数。
import microgrid as mg
from microgrid.losses import binary_cross_entropy

x = [mg.Value(1.0, label="x1"), mg.Value(-2.0, label="x2")]
y = 1.0
hidden = mg.nn.Layer(2, 2, "tanh", seed=0, prefix="L1.")
output = mg.nn.Neuron(2, "sigmoid", seed=1, prefix="L2.")
a1 = hidden(x)
a2 = output(a1)
L = binary_cross_entropy(a2, y)
L.label = "L"
L.backward()
for p in hidden.parameters() + output.parameters():
    print(f"{p.label:9} data {p.data:+.4f}  grad {p.grad:+.4f}")
L
