/**
 * Human texts of the API in the two languages we answer in. Codes never change with the
 * language; only these texts do.
 */
const MESSAGES = {
  ok: { en: 'Operation succeeded', zh: '操作成功' },
  'auth.registered': { en: 'Registration succeeded', zh: '注册成功' },
  'auth.logged_in': { en: 'Login succeeded', zh: '登录成功' },
  'auth.refreshed': { en: 'Token refreshed', zh: '令牌已刷新' },
  'auth.logged_out': { en: 'Logged out', zh: '已退出登录' },
  'auth.reset_requested': {
    en: 'If the e-mail is registered, a password reset link has been sent',
    zh: '如果该邮箱已注册，重置密码的链接已发送',
  },
  'auth.password_reset': { en: 'Password has been reset', zh: '密码已重置' },
  'auth.sessions': { en: 'Sessions retrieved', zh: '获取会话列表成功' },
  'auth.session_revoked': { en: 'Session ended', zh: '会话已结束' },
  'users.profile': { en: 'Profile retrieved', zh: '获取用户信息成功' },
  'users.updated': { en: 'Profile updated', zh: '用户信息已更新' },
  'users.password_changed': { en: 'Password changed', zh: '密码已修改' },
  'users.quota': { en: 'Quota retrieved', zh: '获取配额成功' },
  'conversations.list': { en: 'Conversations retrieved', zh: '获取对话列表成功' },
  'conversations.created': { en: 'Conversation created', zh: '对话已创建' },
  'conversations.detail': { en: 'Conversation retrieved', zh: '获取对话成功' },
  'conversations.updated': { en: 'Conversation updated', zh: '对话已更新' },
  'conversations.deleted': { en: 'Conversation deleted', zh: '对话已删除' },
  'conversations.archived': { en: 'Conversation archived', zh: '对话已归档' },
  'conversations.unarchived': { en: 'Conversation unarchived', zh: '对话已取消归档' },
  'chat.ticket': { en: 'WebSocket ticket issued', zh: 'WebSocket 票据已签发' },
  'api_keys.created': { en: 'API key created', zh: 'API 密钥已创建' },
  'api_keys.list': { en: 'API keys retrieved', zh: '获取 API 密钥列表成功' },
  'api_keys.revoked': { en: 'API key revoked', zh: 'API 密钥已撤销' },
  'error.api_key_not_allowed': {
    en: 'API keys cannot be used on this route; sign in with a password',
    zh: '此接口不接受 API 密钥，请使用密码登录',
  },
  'issue.api_key_limit': {
    en: 'Too many live API keys: revoke one first',
    zh: '有效的 API 密钥过多，请先撤销一个',
  },
  'error.ws_malformed_frame': {
    en: 'Frames must be JSON objects with a type',
    zh: '帧必须是带 type 的 JSON 对象',
  },
  'error.ws_unknown_type': { en: 'Unknown frame type', zh: '未知的帧类型' },
  'messages.list': { en: 'Messages retrieved', zh: '获取消息成功' },
  'messages.updated': { en: 'Message updated', zh: '消息已更新' },
  'messages.deleted': { en: 'Message deleted', zh: '消息已删除' },
  'models.list': { en: 'Models retrieved', zh: '获取模型列表成功' },
  'admin.users': { en: 'Users retrieved', zh: '获取用户列表成功' },
  'admin.user_updated': { en: 'User updated', zh: '用户已更新' },
  'admin.usage': { en: 'Usage retrieved', zh: '获取用量成功' },
  'error.role_required': {
    en: 'This action is not allowed for your role',
    zh: '当前角色无权执行此操作',
  },
  'error.user_not_found': { en: 'No such user', zh: '用户不存在' },
  'issue.nothing_to_update_admin': {
    en: 'Provide at least one of is_vip, is_active, role',
    zh: '请至少提供 is_vip、is_active 或 role 之一',
  },
  'issue.admin_self_demotion': {
    en: 'Administrators cannot demote or deactivate themselves',
    zh: '管理员不能降级或停用自己',
  },
  'issue.last_admin': {
    en: 'This would leave no active administrator',
    zh: '此操作将导致没有可用的管理员',
  },
  'issue.usage_range_reversed': { en: 'from must not be after to', zh: 'from 不能晚于 to' },
  'issue.usage_range_too_long': {
    en: 'The range may span at most 366 days',
    zh: '时间范围最多 366 天',
  },

  'error.validation': { en: 'Input validation failed', zh: '输入验证失败' },
  'error.bad_request': { en: 'Malformed request', zh: '请求格式错误' },
  'error.malformed_json': { en: 'Malformed JSON in request body', zh: '请求体 JSON 格式错误' },
  'error.malformed_encoding': {
    en: 'Request body could not be decompressed (Content-Encoding)',
    zh: '请求体无法解压（Content-Encoding）',
  },
  'error.payload_too_large': { en: 'Request body is too large', zh: '请求体过大' },
  'error.authentication': { en: 'Authentication required', zh: '需要身份验证' },
  'error.invalid_token': { en: 'Invalid or expired token', zh: '令牌无效或已过期' },
  'error.session_ended': {
    en: 'The session of this stream has ended',
    zh: '此数据流所属的会话已结束',
  },
  'error.invalid_credentials': { en: 'Invalid username or password', zh: '用户名或密码错误' },
  'error.invalid_refresh_token': {
    en: 'Invalid or expired refresh token',
    zh: '刷新令牌无效或已过期',
  },
  'error.authorization': { en: 'Not allowed', zh: '没有权限' },
  'error.account_inactive': { en: 'Account is inactive', zh: '账户已停用' },
  'error.not_found': { en: 'Resource not found', zh: '资源不存在' },
  'error.route_not_found': { en: 'Route not found', zh: '接口不存在' },
  'error.quota': { en: 'Quota exceeded', zh: '配额已用完' },
  'error.rate_limit': { en: 'Too many requests', zh: '请求过于频繁' },
  'error.ws_queue_full': {
    en: 'Too many frames waiting on this socket; wait for the answers before sending more',
    zh: '该连接上待处理的帧过多，请等待响应后再发送',
  },
  'error.login_locked': {
    en: 'Too many failed logins for this account; try again later',
    zh: '该账号登录失败次数过多，请稍后再试',
  },
  'error.openai': { en: 'The model provider failed', zh: '模型服务调用失败' },
  'error.openai_timeout': {
    en: 'The model provider did not answer in time',
    zh: '模型服务响应超时',
  },
  'error.generation_interrupted': {
    en: 'The reply was not completed',
    zh: '回复未能完成',
  },
  'error.database': { en: 'The database is unavailable', zh: '数据库不可用' },
  'error.shutting_down': {
    en: 'The server is shutting down; retry shortly',
    zh: '服务器正在关闭，请稍后重试',
  },
  'error.overloaded': {
    en: 'The server is busy; nothing was sent or billed, retry shortly',
    zh: '服务器繁忙，本次请求未发送也未计费，请稍后重试',
  },
  'error.internal': { en: 'Internal server error', zh: '服务器内部错误' },

  'issue.username_taken': { en: 'Username already exists', zh: '用户名已存在' },
  'issue.email_taken': { en: 'Email already exists', zh: '邮箱已存在' },
  'issue.passwords_mismatch': { en: 'Passwords do not match', zh: '两次输入的密码不一致' },
  'issue.current_password_wrong': { en: 'Current password is incorrect', zh: '当前密码不正确' },
  'issue.password_unchanged': {
    en: 'New password must differ from the current one',
    zh: '新密码不能与当前密码相同',
  },
  'issue.reset_token_invalid': {
    en: 'Reset token is invalid, used or expired',
    zh: '重置令牌无效、已使用或已过期',
  },
  'issue.nothing_to_update': {
    en: 'Provide at least one of username, email',
    zh: '请至少提供用户名或邮箱之一',
  },
  'issue.body_not_object': {
    en: 'Request body must be a JSON object',
    zh: '请求体必须是 JSON 对象',
  },
  'issue.not_uuid': { en: 'must be a UUID', zh: '必须是 UUID' },
  'issue.nothing_to_update_conversation': {
    en: 'Provide at least one of title, is_archived',
    zh: '请至少提供 title 或 is_archived 之一',
  },
  'issue.context_too_long': {
    en: "The message is too long for the model's context window",
    zh: '消息过长，超出模型的上下文窗口',
  },
  'issue.file_type_unsupported': {
    en: 'This type of file is not supported: upload an image (PNG, JPEG, WebP, GIF), a PDF, a DOCX or UTF-8 text',
    zh: '不支持此类文件：请上传图片（PNG、JPEG、WebP、GIF）、PDF、DOCX 或 UTF-8 文本',
  },
  'issue.file_markup_refused': {
    en: 'HTML, XHTML and SVG files are not accepted',
    zh: '不接受 HTML、XHTML 和 SVG 文件',
  },
  'issue.file_empty': { en: 'The file is empty', zh: '文件为空' },
  'issue.file_no_text': {
    en: 'The document has no readable text (a scan, or blank pages)',
    zh: '文档中没有可读取的文字（可能是扫描件或空白页）',
  },
  'issue.file_encrypted': {
    en: 'The document is protected by a password',
    zh: '文档受密码保护',
  },
  'issue.file_too_many_pages': {
    en: 'The document has too many pages',
    zh: '文档页数过多',
  },
  'issue.file_archive_bomb': {
    en: 'The document unpacks to too much data',
    zh: '文档解压后的数据量过大',
  },
  'issue.file_image_too_large': {
    en: 'The image has too many pixels',
    zh: '图片像素过多',
  },
  'issue.file_unreadable': {
    en: 'The file could not be read: it may be damaged or cut short',
    zh: '无法读取该文件：文件可能已损坏或不完整',
  },
  'issue.max_tokens_too_large': {
    en: "max_tokens is above the model's limit",
    zh: 'max_tokens 超过了模型的上限',
  },
  'issue.idempotency_key_reused': {
    en: 'This Idempotency-Key was used for another conversation',
    zh: '该 Idempotency-Key 已用于其他对话',
  },
  'issue.idempotency_key_body_mismatch': {
    en: 'This Idempotency-Key was used with a different request body',
    zh: '该 Idempotency-Key 已用于不同的请求内容',
  },
  'issue.idempotency_key_invalid': {
    en: 'Idempotency-Key must be 1–200 visible characters',
    zh: 'Idempotency-Key 必须是 1–200 个可见字符',
  },
  'messages.sent': { en: 'Message sent', zh: '消息已发送' },
  'messages.stopped': { en: 'Generation stopped', zh: '已停止生成' },
  'issue.message_streaming': {
    en: 'The message is still being generated',
    zh: '消息仍在生成中',
  },
  'issue.regenerate_not_reply': {
    en: 'Only an assistant reply to a user message can be regenerated',
    zh: '只能重新生成对用户消息的助手回复',
  },
  'messages.regenerated': { en: 'Reply regenerated', zh: '已重新生成回复' },
  'issue.unknown_model': { en: 'Unknown model', zh: '未知的模型' },
  'issue.model_retired': {
    en: "This conversation's model is no longer offered: switch it to another model (PUT /conversations/{id} with model) and send again",
    zh: '此对话的模型已不再提供：请先切换到其他模型（PUT /conversations/{id}，带 model）再发送',
  },
  'files.uploaded': { en: 'File uploaded', zh: '文件已上传' },
  'files.list': { en: 'Files retrieved', zh: '获取文件列表成功' },
  'files.detail': { en: 'File retrieved', zh: '获取文件成功' },
  'files.deleted': { en: 'File deleted', zh: '文件已删除' },
  'error.file_too_large': {
    en: 'The file is larger than the upload limit',
    zh: '文件超过了上传大小上限',
  },
  'error.storage_unavailable': {
    en: 'File storage is unavailable; try again later',
    zh: '文件存储暂不可用，请稍后重试',
  },
  'issue.file_part_missing': {
    en: 'Send the file as a multipart/form-data part named file',
    zh: '请以名为 file 的 multipart/form-data 部分发送文件',
  },
  'issue.file_part_extra': {
    en: 'Send exactly one part named file',
    zh: '只能发送一个名为 file 的部分',
  },
  'issue.file_too_large': {
    en: 'The file is larger than the upload limit',
    zh: '文件超过了上传大小上限',
  },
  'issue.attachment_needs_vision': {
    en: 'This model cannot see images; choose a model with the vision capability',
    zh: '该模型无法查看图片，请选择具有 vision 能力的模型',
  },
  'issue.attachments_too_long': {
    en: "The attachments do not fit the model's context window",
    zh: '附件超出了模型的上下文窗口',
  },
  'error.unsupported_request': {
    en: 'This request asks for a feature the service does not support',
    zh: '该请求使用了服务不支持的功能',
  },
} as const satisfies Record<string, { en: string; zh: string }>;

export type MessageKey = keyof typeof MESSAGES;
export type Lang = 'en' | 'zh';

export function t(key: MessageKey, lang: Lang): string {
  return MESSAGES[key][lang];
}

/**
 * Picks the answer language from an Accept-Language header: Chinese when a zh tag is
 * preferred (highest q) over English; English otherwise.
 */
export function pickLang(header: string | undefined): Lang {
  if (!header) return 'en';
  let best: { lang: Lang; q: number } | null = null;
  for (const part of header.split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const lang: Lang | null = tag.startsWith('zh')
      ? 'zh'
      : tag.startsWith('en') || tag === '*'
        ? 'en'
        : null;
    if (lang && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'en';
}
