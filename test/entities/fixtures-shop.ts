/** An entity file of the kind nomnom's examples use: orders with lines and customers, partial updates, a ledger, deletes, money. */
export const SHOP_ENTITIES = `entities:
  - name: Order
    table: orders
    types: ["order.created", "order.updated"]
    deletes: ["order.purged"]
    key: [order_id]
    fields:
      order_id:    { type: string, required: true }
      customer_id: { from: customer.id, type: string, index: true }
      total:       { type: decimal, precision: 12, scale: 2 }
      currency:    { from: [currency, customer.currency], type: string, default: EUR }
      channel:     { value: web, type: string }
      total_cents: { expr: "$round($number(total) * 100)", type: bigint }
      placed_on:   { type: date }
      received_by: { from: $id, type: uuid }
  - name: OrderLine
    table: order_lines
    parent: Order
    each: lines
    key: [line_no]
    fields:
      line_no: { from: $index, type: integer }
      sku:     { type: string, required: true }
      qty:     { type: integer, minimum: 1 }
      price:   { type: decimal, precision: 10, scale: 2 }
  - name: LineDiscount
    table: line_discounts
    parent: OrderLine
    each: discounts
    key: [code]
    fields:
      code:   { type: string, required: true }
      amount: { type: decimal, precision: 10, scale: 2 }
  - name: Customer
    table: customers
    types: ["order.created", "customer.*"]
    mode: merge
    when: { path: customer.id, exists: true }
    key: [customer_id]
    fields:
      customer_id: { from: customer.id, type: string, required: true }
      email:       { from: customer.email, type: string, format: email, unique: true }
      name:        { from: customer.name, type: string }
      tier:        { from: customer.tier, type: string, default: basic }
  - name: Ledger
    table: ledger
    types: ["payment.*"]
    mode: append
    fields:
      account: { type: bigint, required: true }
      amount:  { type: decimal, precision: 22, scale: 4, required: true }
      kind:    { from: $type, type: string }
  - name: FirstTouch
    table: first_touch
    types: ["order.created"]
    mode: insert-once
    when: "$exists(customer.id)"
    key: [customer_id]
    fields:
      customer_id: { from: customer.id, type: string }
      order_id:    { type: string }
`;
