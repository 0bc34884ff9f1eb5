'use strict';

/*
 * Local Telegram Bot API for Kömekshi's development and end-to-end tests.
 *
 * telegram-test-api emulates the Bot API and adds a "client" API to play users. Its answers
 * do not all parse in python-telegram-bot 22, and it cannot model what the product needs
 * (an operators' group where operators reply to the bot's case cards, inline buttons,
 * attachments copied between chats, Telegram's refusals and flood control), so this file
 * replaces some of its routes. Every replacement is marked PATCH with the reason.
 *
 * Bot API (base URL for PTB: `<url>/bot`): getMe, getUpdates (long polling, offset, limit;
 * 409 while a webhook is set), sendMessage (400 for an empty text or one over 4096
 * characters, as Telegram), copyMessage, editMessageText, editMessageReplyMarkup,
 * deleteMessage, answerCallbackQuery, setWebhook (with secret_token), deleteWebhook,
 * getWebhookInfo, and no-ops for sendChatAction, setMyCommands, deleteMyCommands. Any other
 * method answers 400 "not emulated".
 *
 * Client API (JSON bodies, answers {ok, result} or {ok: false, description}):
 *   POST /sendMessage    {botToken, from, chat: {id, title?}, text?, caption?,
 *                         photo?, document?, voice?, sticker?, reply_to_message_id?}
 *                        -> the Update the bot gets (its message.message_id is the user's).
 *                        An attachment field may be `true` or a partial object: the
 *                        emulator fills in file ids, sizes and the fields PTB requires.
 *   POST /sendCallback   {botToken, from, chat_id, message_id, data}
 *                        -> the Update with callback_query; 400 if no such button
 *   POST /getBotMessages {token, chatId, timeout?}
 *                        -> bot messages to that chat not yet read (an edit makes one unread
 *                           again, with edit_date), as Bot API Messages whose reply_markup is
 *                           what the bot sent (inline or reply keyboard), and, only when the
 *                           bot asked Telegram to format the text, its `parse_mode`; waits
 *                           up to `timeout` seconds for the first one
 *   POST /faults         {method, status, retry_after?, description?, count?, chat_id?}
 *                        -> the next `count` (1) calls of Bot API `method` (to `chat_id`,
 *                           if given) fail with HTTP `status`, as Telegram answers: 429 with
 *                           parameters.retry_after, 5xx, or a 400 refusal
 *   GET /faults          -> {pending: faults not used up, hits: [{method, chat_id, status,
 *                           at (ms since the epoch)}]}
 *   DELETE /faults       -> forget every fault and hit
 *   POST /getUpdates, /getUpdatesHistory, /sendCommand: the package's own routes.
 *
 * With a webhook set (setWebhook), a user's update is POSTed to its URL with the header
 * X-Telegram-Bot-Api-Secret-Token when the bot gave a secret_token, as Telegram does.
 *
 * Env: EMULATOR_HOST (127.0.0.1), EMULATOR_PORT (9000; 0 picks a free port), and
 * EMULATOR_STORE_SECONDS (86400: how long messages are kept, so that an operator can still
 * reply to an old case card). Prints `emulator listening on <url>` once ready; exits on
 * SIGTERM/SIGINT.
 */

const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');

const host = process.env.EMULATOR_HOST || '127.0.0.1';
const port = Number(process.env.EMULATOR_PORT || 9000);
const storeSeconds = Number(process.env.EMULATOR_STORE_SECONDS || 86400);

const SUPERGROUP_MIN_ID = -1000000000000;
// Telegram's limit for a message text, in UTF-16 code units (what a JS string's length counts).
const MAX_TEXT = 4096;
// What copyMessage carries over from the original message.
const COPIED_FIELDS = [
  'text', 'entities', 'photo', 'document', 'voice', 'video', 'video_note', 'audio', 'animation',
  'sticker', 'caption', 'caption_entities', 'contact', 'location', 'venue', 'poll', 'dice',
];

/** Wakes waiting long polls; a stop wakes them all so the server can shut down. */
class Signal {
  constructor() {
    this.waiters = new Set();
  }

  wait(seconds) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, seconds) * 1000);
      this.waiters.add(done);
    });
  }

  notify() {
    [...this.waiters].forEach((done) => done());
  }
}

const userUpdates = new Signal();
const botMessages = new Signal();

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** PTB posts form fields whose values are JSON text; the client API posts JSON. */
function parseJson(value) {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function badRequest(res, description) {
  res.status(400).json({ ok: false, error_code: 400, description: `Bad Request: ${description}` });
}

function botUser(token) {
  const id = Number(String(token).split(':')[0]) || 1;
  return { id, is_bot: true, first_name: `Test bot ${id}`, username: `test_${id}_bot` };
}

// PATCH: the package calls every chat "private"; Telegram's group ids are negative, and a
// supergroup's start with -100 followed by ten or more digits.
function chatType(id) {
  if (id > 0) return 'private';
  return id <= SUPERGROUP_MIN_ID ? 'supergroup' : 'group';
}

// Chats as users last described them, so the bot's messages carry the same title or name.
const knownChats = new Map();

function describeChat(raw, from) {
  const id = Number(raw.id);
  const type = chatType(id);
  const chat = { id, type };
  if (type === 'private') {
    chat.first_name = raw.first_name || (from && from.first_name) || `User ${id}`;
    const username = raw.username || (from && from.username);
    if (username) chat.username = username;
  } else {
    chat.title = raw.title || (knownChats.get(id) || {}).title || `Group ${id}`;
  }
  knownChats.set(id, chat);
  return chat;
}

function chatFor(id) {
  return knownChats.get(id) || describeChat({ id });
}

/** The message `messageId` in chat `chatId`, the bot's or a user's, as Telegram shows it. */
function findMessage(server, chatId, messageId) {
  const sent = server.storage.botMessages.find(
    (entry) => entry.sent && entry.sent.chat.id === chatId && entry.messageId === messageId,
  );
  if (sent) return sent.sent;
  const received = server.storage.userMessages.find(
    (update) => update.message && update.message.chat.id === chatId
      && update.messageId === messageId,
  );
  return received && { ...received.message, message_id: received.messageId };
}

/** Telegram nests one level of reply only. */
function asReplied(message) {
  const { reply_to_message: _nested, ...replied } = message;
  return replied;
}

function callbacksOf(message) {
  return ((message.reply_markup || {}).inline_keyboard || []).flat().map((button) => button.callback_data);
}

function findBotEntry(server, token, chatId, messageId) {
  return server.storage.botMessages.find(
    (entry) => entry.botToken === token && entry.sent
      && entry.sent.chat.id === chatId && entry.messageId === messageId,
  );
}

// PATCH: Telegram strips HTML markup from the text it stores (and reports entities instead),
// so a bot that formats its case cards shows plain text to the users here too.
function plainText(text, parseMode) {
  if (String(parseMode).toUpperCase() !== 'HTML' || typeof text !== 'string') return text;
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

function commandEntities(text) {
  const match = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text || '');
  return match ? [{ type: 'bot_command', offset: 0, length: match[0].length }] : undefined;
}

function inlineOnly(markup) {
  return markup && markup.inline_keyboard ? markup : undefined;
}

/** The update as the bot receives it, without the emulator's bookkeeping. */
function formatUpdate(update) {
  if (update.callbackQuery) {
    const query = { ...update.callbackQuery, id: String(update.callbackId) };
    return { update_id: update.updateId, callback_query: query };
  }
  return { update_id: update.updateId, message: { ...update.message, message_id: update.messageId } };
}

// PATCH (new): faults a test injects into the Bot API, to see the bot ride out Telegram's
// flood control (429 with retry_after), its outages (5xx) and its refusals (400).
const faults = [];
const faultHits = [];

function addFault(raw) {
  const status = Number(raw.status);
  if (!raw.method || !Number.isInteger(status) || status < 400 || status > 599) {
    throw new Error('a fault needs a Bot API method and an HTTP error status (400-599)');
  }
  const fault = {
    method: String(raw.method),
    status,
    count: raw.count === undefined ? 1 : Number(raw.count),
    ...(raw.chat_id !== undefined && raw.chat_id !== null && { chat_id: Number(raw.chat_id) }),
    ...(raw.retry_after !== undefined && { retry_after: Number(raw.retry_after) }),
    ...(raw.description && { description: String(raw.description) }),
  };
  faults.push(fault);
  return fault;
}

/** The fault the call of `method` to `chatId` meets now, used up by one; or undefined. */
function takeFault(method, chatId) {
  const fault = faults.find((candidate) => candidate.count > 0 && candidate.method === method
    && (candidate.chat_id === undefined || candidate.chat_id === chatId));
  if (!fault) return undefined;
  fault.count -= 1;
  faultHits.push({ method, chat_id: chatId, status: fault.status, at: Date.now() });
  return fault;
}

function faultBody(fault) {
  let description = fault.description;
  if (!description && fault.status === 429) {
    description = `Too Many Requests: retry after ${fault.retry_after || 1}`;
  } else if (!description) {
    description = fault.status >= 500 ? 'Internal Server Error' : 'Bad Request: fault injected';
  }
  const body = { ok: false, error_code: fault.status, description };
  if (fault.retry_after !== undefined) body.parameters = { retry_after: fault.retry_after };
  return body;
}

// PATCH (new): attachments a user sends. The client may give `true` or part of the object;
// the emulator fills in what Telegram always sends and PTB requires.
let fileSeq = 1;

function fileIds(kind) {
  const n = fileSeq++;
  return { file_id: `${kind}-${n}`, file_unique_id: `${kind}${n}` };
}

const given = (value) => (value && typeof value === 'object' && !Array.isArray(value) ? value : {});

const ATTACHMENTS = {
  photo: (value) => (Array.isArray(value) ? value : [
    { ...fileIds('photo'), width: 90, height: 90, file_size: 1500 },
    { ...fileIds('photo'), width: 800, height: 800, file_size: 65000, ...given(value) },
  ]),
  document: (value) => ({
    ...fileIds('document'), file_name: 'document.pdf', mime_type: 'application/pdf',
    file_size: 20480, ...given(value),
  }),
  voice: (value) => ({
    ...fileIds('voice'), duration: 3, mime_type: 'audio/ogg', file_size: 8000, ...given(value),
  }),
  sticker: (value) => ({
    ...fileIds('sticker'), type: 'regular', width: 512, height: 512, is_animated: false,
    is_video: false, emoji: '👍', ...given(value),
  }),
};

function withAttachments(fields) {
  const message = { ...fields };
  Object.entries(ATTACHMENTS).forEach(([kind, build]) => {
    if (message[kind] !== undefined && message[kind] !== null && message[kind] !== false) {
      message[kind] = build(message[kind]);
    } else {
      delete message[kind];
    }
  });
  return message;
}

/**
 * The message a bot's reply_parameters (or reply_to_message_id) point at: {replied}, or
 * {error} when it is missing and the bot did not allow sending without it.
 */
function repliedTo(server, body, chatId) {
  const parameters = parseJson(body.reply_parameters)
    || (body.reply_to_message_id && { message_id: Number(body.reply_to_message_id) });
  if (!parameters) return {};
  const replyChat = Number(parameters.chat_id || chatId);
  const replied = findMessage(server, replyChat, Number(parameters.message_id));
  if (!replied && !parameters.allow_sending_without_reply) {
    return { error: 'message to be replied not found' };
  }
  return { replied };
}

/** Keeps a message the bot sent (or copied) to `chatId`, as its users will see it. */
function storeBotMessage(server, token, chatId, body, content, replied) {
  const markup = parseJson(body.reply_markup);
  server.addBotMessage({ ...body, chat_id: chatId, reply_markup: markup }, token);
  const entry = server.storage.botMessages[server.storage.botMessages.length - 1];
  entry.markup = markup;
  entry.parseMode = body.parse_mode || undefined;
  entry.sent = {
    message_id: entry.messageId,
    from: botUser(token),
    chat: chatFor(chatId),
    date: nowSeconds(),
    ...content,
    ...(replied && { reply_to_message: asReplied(replied) }),
    ...(inlineOnly(markup) && { reply_markup: markup }),
  };
  botMessages.notify();
  return entry;
}

/**
 * Queues a user's update for the bot, or posts it to the bot's webhook.
 * PATCH: the package takes the next ids only after the webhook call returns, so two updates
 * sent meanwhile shared ids, and its routes did not await it (a failing webhook crashed Node).
 */
async function addUserUpdate(server, fields) {
  const update = {
    time: Date.now(),
    botToken: fields.botToken,
    updateId: server.updateId++,
    messageId: fields.message ? server.messageId++ : undefined,
    isRead: false,
    ...fields,
  };
  const webhook = server.webhooks[update.botToken];
  if (webhook) {
    const headers = { 'Content-Type': 'application/json' };
    if (webhook.secret_token) headers['X-Telegram-Bot-Api-Secret-Token'] = webhook.secret_token;
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(formatUpdate(update)),
    });
    if (!response.ok) throw new Error(`webhook ${webhook.url} answered ${response.status}`);
  } else {
    server.storage.userMessages.push(update);
    userUpdates.notify();
  }
  return formatUpdate(update);
}

function patchedRoutes(app, server) {
  // PATCH (new): an injected fault answers before the method runs (see POST /faults).
  app.all('/bot:token/:method', (req, res, next) => {
    const body = { ...req.query, ...req.body };
    const chatId = body.chat_id === undefined ? undefined : Number(body.chat_id);
    const fault = takeFault(req.params.method, chatId);
    if (!fault) {
      next();
      return;
    }
    res.status(fault.status).json(faultBody(fault));
  });

  app.post('/faults', (req, res) => {
    try {
      res.json({ ok: true, result: addFault(req.body || {}) });
    } catch (error) {
      badRequest(res, error.message);
    }
  });
  app.get('/faults', (_req, res) => {
    res.json({ ok: true, result: { pending: faults.filter((f) => f.count > 0), hits: faultHits } });
  });
  app.delete('/faults', (_req, res) => {
    faults.length = 0;
    faultHits.length = 0;
    res.json({ ok: true, result: true });
  });

  // PATCH: the package's getMe lacks is_bot, which PTB requires, and names every bot alike.
  app.all('/bot:token/getMe', (req, res) => {
    res.json({
      ok: true,
      result: {
        ...botUser(req.params.token),
        can_join_groups: true,
        can_read_all_group_messages: true,
        supports_inline_queries: false,
      },
    });
  });

  // PATCH: the package answers at once, ignoring offset and timeout, so a polling bot spun
  // and an update was lost if the bot stopped before handling it. Now: updates below offset
  // are confirmed, the rest are returned until confirmed, and an empty answer waits up to
  // `timeout` seconds.
  app.all('/bot:token/getUpdates', async (req, res) => {
    const { token } = req.params;
    if (server.webhooks[token]) {
      res.status(409).json({
        ok: false,
        error_code: 409,
        description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      });
      return;
    }
    const params = { ...req.query, ...req.body };
    const offset = Number(params.offset || 0);
    const limit = Number(params.limit || 100);
    const pending = () => {
      server.storage.userMessages.forEach((update) => {
        if (update.botToken === token && update.updateId < offset) update.isRead = true;
      });
      return server.storage.userMessages
        .filter((update) => update.botToken === token && !update.isRead)
        .slice(0, limit);
    };
    let updates = pending();
    if (updates.length === 0) {
      let closed = false;
      res.on('close', () => { closed = true; userUpdates.notify(); });
      const deadline = Date.now() + Number(params.timeout || 0) * 1000;
      while (updates.length === 0 && !closed && server.started && Date.now() < deadline) {
        await userUpdates.wait((deadline - Date.now()) / 1000);
        updates = pending();
      }
      if (closed) return;
    }
    res.json({ ok: true, result: updates.map(formatUpdate) });
  });

  // PATCH: the package's sent message has its date in milliseconds, no sender, a private
  // chat whatever the id, and no reply_to_message; a reply to a missing message succeeded,
  // and so did an empty text or one longer than Telegram takes.
  app.all('/bot:token/sendMessage', (req, res) => {
    const { token } = req.params;
    const body = { ...req.query, ...req.body };
    const chatId = Number(body.chat_id);
    if (!Number.isFinite(chatId)) {
      badRequest(res, 'chat_id is empty');
      return;
    }
    const text = plainText(body.text === undefined ? '' : String(body.text), body.parse_mode);
    if (text.trim() === '') {
      badRequest(res, 'message text is empty');
      return;
    }
    if (text.length > MAX_TEXT) {
      badRequest(res, 'message is too long');
      return;
    }
    const { replied, error } = repliedTo(server, body, chatId);
    if (error) {
      badRequest(res, error);
      return;
    }
    const entities = parseJson(body.entities);
    const content = { text, ...(entities && { entities }) };
    const entry = storeBotMessage(server, token, chatId, body, content, replied);
    res.json({ ok: true, result: entry.sent });
  });

  // PATCH (new): the desk relays citizens' attachments to the operators' chat and back by
  // copying them. The copy is the bot's message, without a link to the original.
  app.all('/bot:token/copyMessage', (req, res) => {
    const { token } = req.params;
    const body = { ...req.query, ...req.body };
    const chatId = Number(body.chat_id);
    if (!Number.isFinite(chatId)) {
      badRequest(res, 'chat_id is empty');
      return;
    }
    const source = findMessage(server, Number(body.from_chat_id), Number(body.message_id));
    if (!source) {
      badRequest(res, 'message to copy not found');
      return;
    }
    const content = {};
    COPIED_FIELDS.forEach((field) => {
      if (source[field] !== undefined) content[field] = source[field];
    });
    if (Object.keys(content).length === 0) {
      badRequest(res, "the message can't be copied");
      return;
    }
    if (body.caption !== undefined) {
      content.caption = plainText(String(body.caption), body.parse_mode);
      delete content.caption_entities;
    }
    const { replied, error } = repliedTo(server, body, chatId);
    if (error) {
      badRequest(res, error);
      return;
    }
    const entry = storeBotMessage(server, token, chatId, body, content, replied);
    res.json({ ok: true, result: { message_id: entry.messageId } });
  });

  // PATCH: the package answers null (PTB wants the edited message), keeps the old inline
  // keyboard when the edit sends none (Telegram removes it), and users never saw edits.
  const edit = (changes) => (req, res) => {
    const { token } = req.params;
    const body = { ...req.query, ...req.body };
    const entry = findBotEntry(server, token, Number(body.chat_id), Number(body.message_id));
    if (!entry) {
      badRequest(res, 'message to edit not found');
      return;
    }
    const changed = changes(body);
    if (changed.text !== undefined && String(changed.text).trim() === '') {
      badRequest(res, 'message text is empty');
      return;
    }
    if (changed.text !== undefined && String(changed.text).length > MAX_TEXT) {
      badRequest(res, 'message is too long');
      return;
    }
    if (changed.text !== undefined) entry.parseMode = body.parse_mode || undefined;
    // A user's app may still show the buttons of an earlier version and press one: Telegram
    // delivers that callback too, with the message as it is now.
    entry.shownCallbacks = [...(entry.shownCallbacks || []), ...callbacksOf(entry.sent)];
    const markup = parseJson(body.reply_markup);
    const { reply_markup: _old, ...kept } = entry.sent;
    entry.sent = {
      ...kept,
      ...changed,
      edit_date: nowSeconds(),
      ...(inlineOnly(markup) && { reply_markup: markup }),
    };
    entry.markup = inlineOnly(markup);
    entry.isRead = false;
    botMessages.notify();
    res.json({ ok: true, result: entry.sent });
  };
  app.all('/bot:token/editMessageText', edit((body) => ({ text: plainText(String(body.text || ''), body.parse_mode) })));
  app.all('/bot:token/editMessageReplyMarkup', edit(() => ({})));

  // PATCH: Telegram answers true; the package answered null.
  app.all('/bot:token/deleteMessage', (req, res) => {
    const body = { ...req.query, ...req.body };
    if (!server.deleteMessage(Number(body.chat_id), Number(body.message_id))) {
      badRequest(res, 'message to delete not found');
      return;
    }
    res.json({ ok: true, result: true });
  });

  // PATCH: the package kept no secret_token, so the bot could not tell Telegram's updates
  // from anyone else's; an empty url removes the webhook, as in Telegram.
  app.all('/bot:token/setWebhook', (req, res) => {
    const { token } = req.params;
    const body = { ...req.query, ...req.body };
    if (!body.url) {
      server.deleteWebhook(token);
    } else {
      server.setWebhook({ url: String(body.url), secret_token: body.secret_token || undefined }, token);
    }
    res.json({ ok: true, result: true });
  });

  app.all('/bot:token/getWebhookInfo', (req, res) => {
    const webhook = server.webhooks[req.params.token];
    res.json({
      ok: true,
      result: { url: webhook ? webhook.url : '', has_custom_certificate: false, pending_update_count: 0 },
    });
  });

  // PATCH: the package kept pending updates on deleteWebhook(drop_pending_updates=True).
  app.all('/bot:token/deleteWebhook', (req, res) => {
    const { token } = req.params;
    const body = { ...req.query, ...req.body };
    server.deleteWebhook(token);
    if (parseJson(body.drop_pending_updates) === true) {
      server.storage.userMessages.forEach((update) => {
        if (update.botToken === token) update.isRead = true;
      });
    }
    res.json({ ok: true, result: true });
  });

  // PATCH: calls a bot makes that change nothing a user of the emulator could see.
  ['answerCallbackQuery', 'sendChatAction', 'setMyCommands', 'deleteMyCommands'].forEach((method) => {
    app.all(`/bot:token/${method}`, (_req, res) => res.json({ ok: true, result: true }));
  });

  // PATCH: unknown methods answered 500, which PTB reports as a network error and retries.
  app.all('/bot:token/:method', (req, res) => {
    badRequest(res, `method ${req.params.method} is not emulated (see emulator/server.js)`);
  });

  // PATCH: a user's message can reply to one in its chat by id (an operator answering a case
  // card), gets its date, chat type and command entities as Telegram gives them, and the
  // client learns its message_id.
  app.post('/sendMessage', async (req, res) => {
    const { botToken, reply_to_message_id: replyTo, ...fields } = req.body;
    if (!botToken || !fields.from || !fields.chat) {
      badRequest(res, 'botToken, from and chat are required');
      return;
    }
    const chat = describeChat(fields.chat, fields.from);
    const message = {
      ...withAttachments(fields),
      from: { is_bot: false, ...fields.from },
      chat,
      date: fields.date || nowSeconds(),
    };
    const entities = fields.entities || commandEntities(fields.text);
    if (entities) message.entities = entities;
    if (replyTo !== undefined && replyTo !== null) {
      const replied = findMessage(server, chat.id, Number(replyTo));
      if (!replied) {
        badRequest(res, `message ${replyTo} not found in chat ${chat.id}`);
        return;
      }
      message.reply_to_message = asReplied(replied);
    }
    try {
      res.json({ ok: true, result: await addUserUpdate(server, { botToken, message }) });
    } catch (error) {
      res.status(502).json({ ok: false, description: String(error) });
    }
  });

  // PATCH: the package made the client build the pressed message itself and sent no
  // chat_instance, which PTB requires. Now the client names the bot's message and the
  // button's callback_data, and a button that message never had is refused.
  app.post('/sendCallback', async (req, res) => {
    const { botToken, from, data } = req.body;
    const chatId = Number(req.body.chat_id);
    const entry = findBotEntry(server, botToken, chatId, Number(req.body.message_id));
    if (!entry || !from) {
      badRequest(res, 'botToken, from and the chat_id and message_id of a bot message are required');
      return;
    }
    const shown = [...callbacksOf(entry.sent), ...(entry.shownCallbacks || [])];
    if (!shown.includes(data)) {
      badRequest(res, `message ${entry.messageId} has no button with callback_data ${JSON.stringify(data)}`);
      return;
    }
    const callbackQuery = {
      from: { is_bot: false, ...from },
      message: entry.sent,
      chat_instance: String(chatId),
      data,
    };
    try {
      res.json({
        ok: true,
        result: await addUserUpdate(server, { botToken, callbackQuery, callbackId: server.callbackId++ }),
      });
    } catch (error) {
      res.status(502).json({ ok: false, description: String(error) });
    }
  });

  // PATCH (new): what a user's app shows, edits included, with long polling.
  app.post('/getBotMessages', async (req, res) => {
    const { token } = req.body;
    const chatId = Number(req.body.chatId);
    const unread = () => server.storage.botMessages.filter(
      (entry) => entry.botToken === token && entry.sent && entry.sent.chat.id === chatId
        && !entry.isRead,
    );
    let entries = unread();
    const deadline = Date.now() + Number(req.body.timeout || 0) * 1000;
    let closed = false;
    res.on('close', () => { closed = true; botMessages.notify(); });
    while (entries.length === 0 && !closed && server.started && Date.now() < deadline) {
      await botMessages.wait((deadline - Date.now()) / 1000);
      entries = unread();
    }
    if (closed) return;
    entries.forEach((entry) => { entry.isRead = true; });
    const result = entries.map((entry) => {
      const { reply_markup: _inline, ...message } = entry.sent;
      return {
        ...message,
        ...(entry.markup && { reply_markup: entry.markup }),
        ...(entry.parseMode && { parse_mode: entry.parseMode }),
      };
    });
    res.json({ ok: true, result });
  });
}

// The package's constructor registers `routes` in order, so ours, first, take precedence.
routes.unshift(patchedRoutes);

async function main() {
  const server = new TelegramServer({ host, port, storeTimeout: storeSeconds });
  server.config.port = port; // the package turns 0 into 9000; 0 asks the OS for a free port
  await server.start();
  const address = server.server.address();
  console.log(`emulator listening on http://${host}:${address.port}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref();
    const done = server.stop();
    userUpdates.notify();
    botMessages.notify();
    await done;
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
