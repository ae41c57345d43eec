# J = 3(a + bc)：课程里的计算图
# 取 a = 5，b = 3，c = 2。
import microgrid as mg

a = mg.Value(5.0, label="a")
b = mg.Value(3.0, label="b")
c = mg.Value(2.0, label="c")
u = b * c
u.label = "u"
v = a + u
v.label = "v"
J = 3 * v
J.label = "J"
J.backward()
print("dJ/da =", a.grad, "dJ/db =", b.grad, "dJ/dc =", c.grad)
J  # 最后一行：画出计算图、写出推导、逐步演示
