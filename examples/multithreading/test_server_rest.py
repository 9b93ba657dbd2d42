"""A REST server for ``Customer`` records: the URI form and ``ResourceDispatch`` of the spec.

    python3 test_server_rest.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s -i -X POST -H 'Content-Type: application/json' \
        -d '{"value": {"name": "Ada", "age": 36}}' http://127.0.0.1:5050/customer
    curl -s http://127.0.0.1:5050/customer
    curl -s http://127.0.0.1:5050/customer/1
    curl -s -X PUT -H 'Content-Type: application/json' \
        -d '{"value": {"name": "Ada", "age": 37}}' http://127.0.0.1:5050/customer/1
    curl -s -X DELETE http://127.0.0.1:5050/customer/1

The records are stored in the role's model folder (``lc.model_folder()``: the current
directory, or ``--model-path=DIR``), in ``customers.json``, after every change: they survive
a restart.
"""

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


class Customer:
    def __init__(self, name: str | None = None, age: int | None = None):
        self.name = name
        self.age = age


lc.bind(Customer)

table_type = lc.def_type(dict[int, Customer])
identity_type = lc.def_type(int)

FORM = lc.ReForm("/{resource}(/{identity})?", resource=r"\w+", identity=r"[0-9]+")


class Table:
    """The customers by identity, and the next identity to give out."""

    def __init__(self, customer: dict[int, Customer] | None = None, next_identity: int = 1):
        self.customer = customer if customer is not None else {}
        self.next_identity = next_identity


lc.bind(Table)

TABLE = Table()  # the records of this server process, loaded from and saved to STORE
STORE: list = []  # the model file, opened when the server starts


def saved(response: object) -> object:
    """Store the table after a change, then answer."""
    STORE[0].store(TABLE)
    return response


def not_found(identity: int) -> lc.HttpResponse:
    return lc.HttpResponse(status_code=404, reason_phrase="Not Found",
                           body=f"no customer {identity}")


def add_customer(self, body: Customer) -> lc.HttpResponse:
    if body is None:
        return lc.HttpResponse(status_code=400, reason_phrase="Bad Request",
                               body="no customer in the request body")
    identity = TABLE.next_identity
    TABLE.next_identity += 1
    TABLE.customer[identity] = body
    return saved(lc.HttpResponse(status_code=201, reason_phrase="Created",
                                 header={"Location": f"/customer/{identity}"},
                                 body=lc.cast_to(identity, identity_type)))


def list_customers(self) -> tuple:
    return lc.cast_to(TABLE.customer, table_type)


def get_customer(self, identity: int) -> object:
    c = TABLE.customer.get(identity)
    return c if c is not None else not_found(identity)


def update_customer(self, identity: int, body: Customer) -> object:
    if identity not in TABLE.customer:
        return not_found(identity)
    if body is None:
        return lc.HttpResponse(status_code=400, reason_phrase="Bad Request",
                               body="no customer in the request body")
    TABLE.customer[identity] = body
    return saved(lc.HttpResponse())


def delete_customer(self, identity: int) -> object:
    if TABLE.customer.pop(identity, None) is None:
        return not_found(identity)
    return saved(lc.HttpResponse())


dispatch = lc.ResourceDispatch(FORM, [Customer])
dispatch.add(Customer, lc.HttpMethod.POST, add_customer, body=lc.decode_resource)
dispatch.add(Customer, lc.HttpMethod.GET, list_customers)
dispatch.add(Customer, lc.HttpMethod.GET, get_customer, identity=int)
dispatch.add(Customer, lc.HttpMethod.PUT, update_customer, identity=int,
             body=lc.decode_resource)
dispatch.add(Customer, lc.HttpMethod.DELETE, delete_customer, identity=int)


def server(self, server_address: lc.HostPort | None = None) -> None:
    STORE.append(lc.model_folder().file("customers", Table, create_default=True))
    recovered = STORE[0].recover()
    TABLE.customer, TABLE.next_identity = recovered.customer, recovered.next_identity
    lc.listen(self, server_address or DEFAULT_ADDRESS, uri_form=FORM)
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m

    while True:
        m = self.input()
        if isinstance(m, lc.FormRequest):
            dispatch(self, m)  # the result goes back to the connection
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
