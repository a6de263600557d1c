// The contract's JavaScript client path (API.md §9): fetch, unchanged in spirit.
// login -> create conversation -> send message -> read data.assistant_message.content -> list.
// Usage: BASE_URL=http://127.0.0.1:8000 USERNAME=u PASSWORD=p node seed-client.mjs
class ChatGPTClient {
  constructor(baseUrl = 'http://localhost:8000') {
    this.baseUrl = baseUrl;
    this.accessToken = null;
  }

  async request(method, path, body) {
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(this.accessToken ? { Authorization: `Bearer ${this.accessToken}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async login(username, password) {
    const json = await this.request('POST', '/auth/login', { username, password });
    this.accessToken = json.data.access_token;
    return json;
  }

  async createConversation(title, model = 'gpt-3.5-turbo') {
    return (await this.request('POST', '/conversations', { title, model })).data;
  }

  async sendMessage(conversationId, content, options = {}) {
    return this.request('POST', `/conversations/${conversationId}/messages`, {
      content,
      role: 'user',
      ...options,
    });
  }

  async getConversations(page = 1, size = 20) {
    return (await this.request('GET', `/conversations?page=${page}&size=${size}`)).data;
  }
}

const client = new ChatGPTClient(process.env.BASE_URL ?? 'http://localhost:8000');
await client.login(process.env.USERNAME, process.env.PASSWORD);
const conversation = await client.createConversation('JavaScript client');
const reply = await client.sendMessage(conversation.id, 'Hello from the JavaScript client', {
  temperature: 0.7,
});
const content = reply.data.assistant_message.content;
const listed = await client.getConversations(1, 20);
const ok = content.length > 0 && listed.conversations.some((c) => c.id === conversation.id);
console.log(
  `js client: reply of ${content.length} chars, ${listed.pagination.total} conversation(s) listed`,
);
process.exit(ok ? 0 : 1);
