# u = ab: the course notes' listing, with Values
# u = ab, v = u + c, J = 2(v + b) at a = 1, b = 2, c = 3.
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
print("db =", b.grad)  # b is used twice: in u = ab and in J = 2(v + b)
print("dc =", c.grad)
J
