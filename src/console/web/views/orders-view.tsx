/**
 * The reference orders system: recent orders with their timeline (CREATED, the three checks,
 * VALIDATED or FAILED with the reason, CONFIRMED, the email), and forms that call the orders API to
 * stock products, register a customer, place an order and pay it.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { OrderEvent, OrdersReport, OrderTimeline } from '../../api-types.ts';
import { getJson, sendJson } from '../api.ts';
import { clock, count } from '../format.ts';
import { usePoll } from '../hooks.ts';

const PRODUCTS = ['JUMPERS', 'UNDERPANTS', 'STOCKINGS'];
const CHECKS = ['ORDER_DETAILS_CHECK', 'INVENTORY_CHECK', 'FRAUD_CHECK'];
const money = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export function OrdersView({
  selected,
  onSelect,
}: {
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const report = usePoll((signal) => getJson<OrdersReport>('/console/api/orders?limit=200', signal), 1_500);
  const orders = report.data?.orders ?? [];
  const order = orders.find((o) => o.id === selected);
  return (
    <div class="orders-layout">
      <section class="card forms" aria-label="Act on the system">
        <PlaceOrder
          onPlaced={(id) => {
            onSelect(id);
            report.refresh();
          }}
        />
        <Pay order={order} onPaid={report.refresh} />
        <Stock />
        <Customer />
      </section>
      <section class="card" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent orders</h2>
        {report.data?.error && <p class="banner warn">{report.data.error}</p>}
        {report.error && <p class="banner error">Cannot read the orders: {report.error}</p>}
        {!report.data?.caughtUp && !report.data?.error && (
          <p class="muted">Reading the recent records of the topics…</p>
        )}
        <OrdersTable orders={orders} selected={selected} onSelect={onSelect} />
      </section>
      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">{order ? `Order ${order.id}` : 'Timeline'}</h2>
        {order ? (
          <Timeline order={order} />
        ) : (
          <p class="muted">Place an order, or select one, to follow it here.</p>
        )}
      </section>
    </div>
  );
}

function OrdersTable({
  orders,
  selected,
  onSelect,
}: {
  orders: readonly OrderTimeline[];
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  if (orders.length === 0) return <p class="muted">No orders yet.</p>;
  return (
    <div class="table-scroll orders-scroll">
      <table class="table" aria-label="Recent orders">
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">State</th>
            <th scope="col">Product</th>
            <th scope="col" class="num">
              Value
            </th>
            <th scope="col">Last change</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((o) => (
            <tr
              key={o.id}
              class={o.id === selected ? 'selected' : undefined}
              data-order={o.id}
              data-state={o.state}
            >
              <th scope="row">
                <button
                  type="button"
                  class="link"
                  onClick={() => onSelect(o.id)}
                  aria-pressed={o.id === selected}
                >
                  {o.id}
                </button>
              </th>
              <td>
                <span class={`badge order-${o.state}`}>{o.state}</span>
              </td>
              <td>
                {String(o.order.quantity)} × {String(o.order.product)}
              </td>
              <td class="num">{money.format(Number(o.order.quantity) * Number(o.order.price))}</td>
              <td class="muted nowrap">{lastEventTime(o)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Step {
  readonly label: string;
  readonly status: 'done' | 'failed' | 'waiting';
  readonly time?: number;
  readonly detail?: ComponentChildren;
}

/** The order's way through the system, with the steps still to come shown as waiting. */
function steps(order: OrderTimeline): Step[] {
  const first = (predicate: (e: OrderEvent) => boolean) => order.events.find(predicate);
  const created = first((e) => e.kind === 'state' && e.state === 'CREATED');
  const result: Step[] = [
    {
      label: 'CREATED',
      status: created ? 'done' : 'waiting',
      time: created?.time,
      detail: `${String(order.order.quantity)} × ${String(order.order.product)} at ${money.format(Number(order.order.price))}, customer ${String(order.order.customerId)}`,
    },
  ];
  for (const check of CHECKS) {
    const event = first((e) => e.kind === 'check' && e.check === check);
    const passed = event?.kind === 'check' && event.result === 'PASS';
    result.push({
      label: check
        .replace(/_/g, ' ')
        .toLowerCase()
        .replace(/^./, (c) => c.toUpperCase()),
      status: !event ? 'waiting' : passed ? 'done' : 'failed',
      time: event?.time,
      detail:
        event?.kind === 'check' ? `${event.result}${event.reason ? `: ${event.reason}` : ''}` : undefined,
    });
  }
  const verdict = first((e) => e.kind === 'state' && (e.state === 'VALIDATED' || e.state === 'FAILED'));
  const failedLater = first((e) => e.kind === 'state' && e.state === 'FAILED');
  if (verdict?.kind === 'state' && verdict.state === 'FAILED') {
    result.push({
      label: 'FAILED',
      status: 'failed',
      time: verdict.time,
      detail: verdict.reason ?? undefined,
    });
    return result;
  }
  result.push({ label: 'VALIDATED', status: verdict ? 'done' : 'waiting', time: verdict?.time });
  if (failedLater?.kind === 'state') {
    result.push({
      label: 'FAILED',
      status: 'failed',
      time: failedLater.time,
      detail: failedLater.reason ?? undefined,
    });
    return result;
  }
  const confirmed = first((e) => e.kind === 'state' && e.state === 'CONFIRMED');
  result.push({
    label: 'CONFIRMED',
    status: confirmed ? 'done' : 'waiting',
    time: confirmed?.time,
    detail: confirmed
      ? 'paid in full'
      : verdict
        ? 'waiting for a payment of at least the order value'
        : undefined,
  });
  const email = first((e) => e.kind === 'email');
  result.push({
    label: 'Email sent',
    status: email ? 'done' : 'waiting',
    time: email?.time,
    detail:
      email?.kind === 'email'
        ? `to ${email.to}: “${email.subject}”`
        : confirmed
          ? 'needs the customer registered'
          : undefined,
  });
  return result;
}

function Timeline({ order }: { order: OrderTimeline }) {
  return (
    <ol class="timeline" aria-label={`Timeline of order ${order.id}`} data-order={order.id}>
      {steps(order).map((step) => (
        <li key={step.label} class={`step ${step.status}`} data-step={step.label} data-status={step.status}>
          <span class="step-mark" aria-hidden="true">
            {step.status === 'done' ? '✓' : step.status === 'failed' ? '✕' : ''}
          </span>
          <div>
            <div class="step-head">
              <strong>{step.label}</strong>
              <span class="muted">{step.time === undefined ? step.status : clock(step.time)}</span>
            </div>
            {step.detail && <div class="step-detail">{step.detail}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}

/** A form whose submit calls the API and says what happened. */
function ActionForm({
  title,
  submit,
  children,
  button,
}: {
  title: string;
  submit: () => Promise<string>;
  children: ComponentChildren;
  button: string;
}) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const id = title.toLowerCase().replace(/\s+/g, '-');
  return (
    <form
      class="action"
      aria-labelledby={id}
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        submit()
          .then((text) => setMessage({ ok: true, text }))
          .catch((error: Error) => setMessage({ ok: false, text: error.message }))
          .finally(() => setBusy(false));
      }}
    >
      <h3 id={id}>{title}</h3>
      <div class="fields">{children}</div>
      <div class="action-foot">
        <button type="submit" class="primary" disabled={busy}>
          {button}
        </button>
        {message && (
          <span class={message.ok ? 'result ok' : 'result error'} role="status">
            {message.text}
          </span>
        )}
      </div>
    </form>
  );
}

function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

function ProductSelect({
  value,
  onChange,
  name,
}: {
  value: string;
  onChange: (v: string) => void;
  name: string;
}) {
  return (
    <select name={name} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {PRODUCTS.map((p) => (
        <option key={p} value={p}>
          {p}
        </option>
      ))}
    </select>
  );
}

function PlaceOrder({ onPlaced }: { onPlaced: (id: string) => void }) {
  const [id, setId] = useState(() => newId('o'));
  const [customer, setCustomer] = useState('1');
  const [product, setProduct] = useState('JUMPERS');
  const [quantity, setQuantity] = useState('1');
  const [price, setPrice] = useState('10');
  return (
    <ActionForm
      title="Place an order"
      button="Place order"
      submit={async () => {
        await sendJson('POST', '/v1/orders', {
          id,
          customerId: Number(customer),
          product,
          quantity: Number(quantity),
          price: Number(price),
        });
        onPlaced(id);
        setId(newId('o'));
        return `order ${id} placed`;
      }}
    >
      <Field label="Order id">
        <input name="order-id" value={id} onInput={(e) => setId(e.currentTarget.value)} required />
      </Field>
      <Field label="Customer id">
        <input
          name="customer-id"
          inputMode="numeric"
          value={customer}
          onInput={(e) => setCustomer(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Product">
        <ProductSelect name="product" value={product} onChange={setProduct} />
      </Field>
      <Field label="Quantity">
        <input
          name="quantity"
          type="number"
          value={quantity}
          onInput={(e) => setQuantity(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Price">
        <input
          name="price"
          type="number"
          step="0.01"
          min="0"
          value={price}
          onInput={(e) => setPrice(e.currentTarget.value)}
          required
        />
      </Field>
    </ActionForm>
  );
}

function Pay({ order, onPaid }: { order: OrderTimeline | undefined; onPaid: () => void }) {
  const [orderId, setOrderId] = useState('');
  const [amount, setAmount] = useState('');
  const [ccy, setCcy] = useState('EUR');
  const [forOrder, setForOrder] = useState<string | undefined>();
  if (order && order.id !== forOrder) {
    // A newly selected order fills the form with its id and value.
    setForOrder(order.id);
    setOrderId(order.id);
    setAmount(String(Number(order.order.quantity) * Number(order.order.price)));
  }
  return (
    <ActionForm
      title="Pay an order"
      button="Pay"
      submit={async () => {
        const id = newId('pay');
        await sendJson('POST', '/v1/payments', { id, orderId, ccy, amount: Number(amount) });
        onPaid();
        return `payment ${id} of ${amount} ${ccy} sent`;
      }}
    >
      <Field label="Order id">
        <input
          name="pay-order-id"
          value={orderId}
          onInput={(e) => setOrderId(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Amount">
        <input
          name="amount"
          type="number"
          step="0.01"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Currency">
        <select name="ccy" value={ccy} onChange={(e) => setCcy(e.currentTarget.value)}>
          {['EUR', 'USD', 'GBP', 'CHF', 'JPY'].map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </Field>
    </ActionForm>
  );
}

function Stock() {
  const [product, setProduct] = useState('JUMPERS');
  const [quantity, setQuantity] = useState('100');
  return (
    <ActionForm
      title="Set stock"
      button="Set stock"
      submit={async () => {
        await sendJson('PUT', `/v1/inventory/${encodeURIComponent(product)}`, { quantity: Number(quantity) });
        return `${product}: ${count(Number(quantity))} in stock`;
      }}
    >
      <Field label="Product">
        <ProductSelect name="stock-product" value={product} onChange={setProduct} />
      </Field>
      <Field label="Units in stock">
        <input
          name="stock"
          type="number"
          min="0"
          value={quantity}
          onInput={(e) => setQuantity(e.currentTarget.value)}
          required
        />
      </Field>
    </ActionForm>
  );
}

function Customer() {
  const [id, setId] = useState('1');
  const [firstName, setFirstName] = useState('Ada');
  const [lastName, setLastName] = useState('Lovelace');
  const [email, setEmail] = useState('ada@example.com');
  const [address, setAddress] = useState('1 Engine Row');
  return (
    <ActionForm
      title="Register a customer"
      button="Save customer"
      submit={async () => {
        await sendJson('PUT', `/v1/customers/${encodeURIComponent(id)}`, {
          firstName,
          lastName,
          email,
          address,
        });
        return `customer ${id} saved`;
      }}
    >
      <Field label="Customer id">
        <input
          name="customer"
          inputMode="numeric"
          value={id}
          onInput={(e) => setId(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="First name">
        <input
          name="first-name"
          value={firstName}
          onInput={(e) => setFirstName(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Last name">
        <input
          name="last-name"
          value={lastName}
          onInput={(e) => setLastName(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Email">
        <input
          name="email"
          type="email"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Address">
        <input name="address" value={address} onInput={(e) => setAddress(e.currentTarget.value)} required />
      </Field>
    </ActionForm>
  );
}

function lastEventTime(order: OrderTimeline): string {
  const last = order.events.at(-1);
  return last ? clock(last.time) : '–';
}
