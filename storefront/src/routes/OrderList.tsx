export function OrderList() {
  return <h1>OrderList</h1>;
}
