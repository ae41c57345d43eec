# u = ab：课程讲义里的例子，用 Value 写出
# u = ab，v = u + c，J = 2(v + b)，取 a = 1，b = 2，c = 3。
import microgrid as mg

a = mg.Value(1.0, label="a")
b = mg.Value(2.0, label="b")
c = mg.Value(3.0, label="c")
u = a * b
u.label = "u"
v = u + c
v.label = "v"
J = 2 * (v + b)
J.label = "J"
print(u.data, v.data, J.data)
J.backward()
print("dv =", v.grad)
print("du =", u.grad)
print("da =", a.grad)
print("db =", b.grad, "（b 用了两次）")
print("dc =", c.grad)
J
