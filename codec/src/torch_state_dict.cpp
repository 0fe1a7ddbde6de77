#include "torch_state_dict.hpp"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "error.hpp"

namespace tadm {

namespace {

// One pickle value: only the kinds torch.save writes for a dict of tensors.
struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Value {
  enum Kind { kNone, kInt, kString, kTuple, kDict, kGlobal, kStorage, kTensor } kind = kNone;
  std::int64_t i = 0;
  std::string s;                                     // string; global "module name"
  std::vector<ValuePtr> items;                       // tuple
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;   // dict / OrderedDict, in order
  torch::Tensor tensor;                              // storage (1-D) or tensor
};

ValuePtr make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

torch::ScalarType storage_dtype(const std::string& global, const std::string& what) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"torch HalfStorage", torch::kHalf},     {"torch FloatStorage", torch::kFloat},
      {"torch BFloat16Storage", torch::kBFloat16}, {"torch DoubleStorage", torch::kDouble},
      {"torch LongStorage", torch::kLong},     {"torch IntStorage", torch::kInt}};
  const auto it = kTypes.find(global);
  if (it == kTypes.end()) fail(TADM_ERROR_MODEL, what + ": unsupported storage type " + global);
  return it->second;
}

class Unpickler {
 public:
  Unpickler(const std::uint8_t* p, std::size_t n, caffe2::serialize::PyTorchStreamReader& zip, std::string what)
      : p_(p), end_(p + n), zip_(zip), what_(std::move(what)) {}

  ValuePtr run() {
    for (;;) {
      const std::uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;  // PROTO
        case 'c': {                // GLOBAL "module\nname\n"
          auto g = make(Value::kGlobal);
          g->s = line();
          g->s += " " + line();
          push(g);
          break;
        }
        case 'q': memo_[byte()] = top(); break;           // BINPUT
        case 'r': memo_[u32()] = top(); break;            // LONG_BINPUT
        case 'h': push(memo(byte())); break;              // BINGET
        case 'j': push(memo(u32())); break;               // LONG_BINGET
        case ')': push(make(Value::kTuple)); break;       // EMPTY_TUPLE
        case '}': push(make(Value::kDict)); break;        // EMPTY_DICT
        case '(': marks_.push_back(stack_.size()); break; // MARK
        case 't': {                                        // TUPLE
          auto t = make(Value::kTuple);
          t->items = pop_to_mark();
          push(t);
          break;
        }
        case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
          auto t = make(Value::kTuple);
          t->items.resize(op - 0x84);
          for (auto it = t->items.rbegin(); it != t->items.rend(); ++it) *it = pop();
          push(t);
          break;
        }
        case 'X': {  // BINUNICODE
          auto s = make(Value::kString);
          const std::uint32_t len = u32();
          s->s = std::string(reinterpret_cast<const char*>(take(len)), len);
          push(s);
          break;
        }
        case 'K': push(integer(byte())); break;                                   // BININT1
        case 'M': { const std::uint32_t lo = byte(); push(integer(lo | (byte() << 8))); break; }  // BININT2
        case 'J': push(integer(static_cast<std::int32_t>(u32()))); break;        // BININT
        case 0x8a: {                                                              // LONG1
          const std::uint8_t n = byte();
          if (n > 8) bad("integer too long");
          const std::uint8_t* b = take(n);
          std::uint64_t v = 0;
          for (int k = n - 1; k >= 0; --k) v = (v << 8) | b[k];
          if (n > 0 && n < 8 && (b[n - 1] & 0x80)) v |= ~0ull << (8 * n);  // sign-extend
          push(integer(static_cast<std::int64_t>(v)));
          break;
        }
        case 0x88: push(integer(1)); break;  // NEWTRUE
        case 0x89: push(integer(0)); break;  // NEWFALSE
        case 'N': push(make(Value::kNone)); break;
        case 'Q': push(storage(pop())); break;  // BINPERSID
        case 'R': {                             // REDUCE
          ValuePtr args = pop(), fn = pop();
          push(reduce(*fn, *args));
          break;
        }
        case 's': {  // SETITEM
          ValuePtr v = pop(), k = pop();
          dict_at_top().dict.emplace_back(k, v);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<ValuePtr> kv = pop_to_mark();
          if (kv.size() % 2) bad("odd SETITEMS");
          Value& d = dict_at_top();
          for (std::size_t k = 0; k < kv.size(); k += 2) d.dict.emplace_back(kv[k], kv[k + 1]);
          break;
        }
        case 'b':  // BUILD: an OrderedDict's attributes (a state dict's _metadata); not needed
          pop();
          dict_at_top();
          break;
        case '.': return pop();  // STOP
        default: bad("unsupported pickle opcode " + std::to_string(op));
      }
    }
  }

 private:
  [[noreturn]] void bad(const std::string& why) const { fail(TADM_ERROR_MODEL, what_ + " is not a readable state dict: " + why); }
  const std::uint8_t* take(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) bad("truncated pickle");
    const std::uint8_t* q = p_;
    p_ += n;
    return q;
  }
  std::uint8_t byte() { return *take(1); }
  std::uint32_t u32() {
    const std::uint8_t* b = take(4);
    return b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  }
  std::string line() {
    const auto* nl = static_cast<const std::uint8_t*>(std::memchr(p_, '\n', end_ - p_));
    if (!nl) bad("truncated GLOBAL");
    std::string s(reinterpret_cast<const char*>(p_), nl - p_);
    p_ = nl + 1;
    return s;
  }
  static ValuePtr integer(std::int64_t v) {
    auto i = make(Value::kInt);
    i->i = v;
    return i;
  }
  void push(ValuePtr v) {
    if (stack_.size() > 100000) bad("pickle stack too deep");
    stack_.push_back(std::move(v));
  }
  ValuePtr top() const {
    if (stack_.empty()) bad("empty stack");
    return stack_.back();
  }
  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) bad("stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) bad("no MARK");
    std::vector<ValuePtr> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  ValuePtr memo(std::uint32_t k) const {
    const auto it = memo_.find(k);
    if (it == memo_.end()) bad("unknown memo entry");
    return it->second;
  }
  Value& dict_at_top() {
    ValuePtr d = top();
    if (d->kind != Value::kDict) bad("SETITEM/BUILD on something that is not a dict");
    return *d;
  }
  static bool is(const Value& v, Value::Kind k) { return v.kind == k; }

  // ('storage', torch.XStorage, key, location, numel) -> the storage's elements from data/<key>
  ValuePtr storage(const ValuePtr& pid) {
    const auto& t = pid->items;
    if (pid->kind != Value::kTuple || t.size() != 5 || !is(*t[0], Value::kString) || t[0]->s != "storage" ||
        !is(*t[1], Value::kGlobal) || !is(*t[2], Value::kString) || !is(*t[4], Value::kInt))
      bad("unexpected persistent id");
    const std::string& key = t[2]->s;
    if (auto it = storages_.find(key); it != storages_.end()) return it->second;
    const torch::ScalarType dtype = storage_dtype(t[1]->s, what_);
    const std::int64_t numel = t[4]->i;
    const std::string record = "data/" + key;
    if (numel < 0 || key.find('/') != std::string::npos || !zip_.hasRecord(record)) bad("missing storage " + key);
    auto [data, size] = zip_.getRecord(record);
    const std::size_t need = static_cast<std::size_t>(numel) * c10::elementSize(dtype);
    if (size < need) bad("storage " + key + " is shorter than its " + std::to_string(numel) + " elements");
    auto s = make(Value::kStorage);
    s->tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    std::memcpy(s->tensor.data_ptr(), data.get(), need);
    storages_[key] = s;
    return s;
  }

  static std::vector<std::int64_t> ints(const Value& v) {
    std::vector<std::int64_t> out;
    for (const auto& x : v.items) out.push_back(x->i);
    return out;
  }

  ValuePtr reduce(const Value& fn, const Value& args) {
    if (fn.kind != Value::kGlobal || args.kind != Value::kTuple) bad("unexpected REDUCE");
    if (fn.s == "collections OrderedDict") {
      if (!args.items.empty()) bad("OrderedDict with arguments");
      return make(Value::kDict);
    }
    if (fn.s != "torch._utils _rebuild_tensor_v2") bad("unsupported callable " + fn.s);
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const auto& a = args.items;
    if (a.size() < 6 || !is(*a[0], Value::kStorage) || !is(*a[1], Value::kInt) || !is(*a[2], Value::kTuple) ||
        !is(*a[3], Value::kTuple) || a[2]->items.size() != a[3]->items.size())
      bad("unexpected tensor record");
    for (const auto& x : a[2]->items) if (!is(*x, Value::kInt) || x->i < 0) bad("bad tensor size");
    for (const auto& x : a[3]->items) if (!is(*x, Value::kInt) || x->i < 0) bad("bad tensor stride");
    const std::vector<std::int64_t> size = ints(*a[2]), stride = ints(*a[3]);
    const std::int64_t offset = a[1]->i, numel = a[0]->tensor.numel();
    std::int64_t last = offset;  // the highest element index the view reaches
    bool empty = false;
    for (std::size_t k = 0; k < size.size(); ++k) {
      if (size[k] == 0) empty = true;
      else last += (size[k] - 1) * stride[k];
    }
    if (offset < 0 || (!empty && last >= numel)) bad("tensor outside its storage");
    auto t = make(Value::kTensor);
    t->tensor = a[0]->tensor.as_strided(size, stride, offset).clone();
    return t;
  }

  const std::uint8_t* p_;
  const std::uint8_t* end_;
  caffe2::serialize::PyTorchStreamReader& zip_;
  std::string what_;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  std::map<std::uint32_t, ValuePtr> memo_;
  std::map<std::string, ValuePtr> storages_;
};

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> read_state_dict(const std::vector<std::uint8_t>& bytes,
                                                                   const std::string& what) {
  try {
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    caffe2::serialize::PyTorchStreamReader zip(&in);
    if (zip.hasRecord("byteorder")) {
      auto [data, size] = zip.getRecord("byteorder");
      if (std::string(static_cast<const char*>(data.get()), size) != "little")
        fail(TADM_ERROR_MODEL, what + " stores big-endian tensors, which this build does not read");
    }
    if (!zip.hasRecord("data.pkl")) fail(TADM_ERROR_MODEL, what + " has no data.pkl: not a torch.save file");
    auto [pkl, pkl_size] = zip.getRecord("data.pkl");
    Unpickler u(static_cast<const std::uint8_t*>(pkl.get()), pkl_size, zip, what);
    const ValuePtr root = u.run();
    if (root->kind != Value::kDict) fail(TADM_ERROR_MODEL, what + " does not hold a dict of tensors");
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& [k, v] : root->dict) {
      if (k->kind != Value::kString || v->kind != Value::kTensor)
        fail(TADM_ERROR_MODEL, what + " holds an entry that is not name -> tensor");
      out.emplace_back(k->s, v->tensor);
    }
    return out;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // the zip reader's errors
    std::string msg = e.what();
    if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    fail(TADM_ERROR_MODEL, what + " is not a readable torch.save archive: " + msg);
  }
}

}  // namespace tadm
