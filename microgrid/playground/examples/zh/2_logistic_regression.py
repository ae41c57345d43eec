# 逻辑回归：一个样本，特征 x1、x2，标签 y，
# z = w1·x1 + w2·x2 + b，a = σ(z)，损失函数 L(a, y)。
import microgrid as mg

x1 = mg.Value(1.0, label="x1")
x2 = mg.Value(2.0, label="x2")
y = mg.Value(1.0, label="y")
w1 = mg.Value(0.5, label="w1")
w2 = mg.Value(-0.25, label="w2")
b = mg.Value(0.1, label="b")
z = w1 * x1 + w2 * x2 + b
z.label = "z"
a = z.sigmoid()
a.label = "a"
# L(a, y) = −(y log a + (1 − y) log(1 − a))
L = -(y * a.log() + (1 - y) * (1 - a).log())
L.label = "L"
L.backward()
# 课程里的公式：dz = a − y，dw = x·dz，db = dz
dz = a.data - y.data
print(f"dz  = {z.grad:.6f}   a - y   = {dz:.6f}")
print(f"dw1 = {w1.grad:.6f}   x1 * dz = {x1.data * dz:.6f}")
print(f"dw2 = {w2.grad:.6f}   x2 * dz = {x2.data * dz:.6f}")
print(f"db  = {b.grad:.6f}   dz      = {dz:.6f}")
L
