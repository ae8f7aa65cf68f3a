import {decryptSetting, encryptSetting} from '../../kasm-crypto.js'
import {asUuid} from '../db.js'
import {businessError, statusError} from '../http.js'
import {SANITIZED} from '../views.js'
import type {Endpoint, Row} from './context.js'

const SETTINGS_MODIFY = 1301
/** Per-category permissions that allow update_setting without SETTINGS_MODIFY. */
const CATEGORY_PERMISSION: Record<string, number> = {logging: 1306}
const SECRET_TYPES = new Set(['json_pass', 'password'])

/**
 * Kasm's value checks (kasm-api.md §4): values are strings; int/float must be non-negative numeric
 * strings (a JSON number fails, as `.isdigit()` does on it); json must parse; secrets may not be all '*'.
 */
export function validateSettingValue(valueType: string, value: unknown): string {
  if (typeof value !== 'string') throw businessError('Value Error: Invalid Type')
  switch (valueType) {
    case 'int': {
      if (!/^\d+$/.test(value)) throw businessError('Value Error: Invalid Type')
      return value
    }

    case 'float': {
      if (!/^(\d+\.?\d*|\.\d+)$/.test(value)) throw businessError('Value Error: Invalid Type')
      return value
    }

    case 'bool': {
      if (!/^(true|false)$/i.test(value)) throw businessError('Value Error: Invalid Type')
      // Stored as Python's str(bool).
      return value.toLowerCase() === 'true' ? 'True' : 'False'
    }

    case 'json':
    case 'json_pass': {
      if (valueType === 'json_pass' && /^\*+$/.test(value)) throw businessError('Value Error: Invalid Entry')
      try {
        JSON.parse(value)
      } catch {
        throw businessError('Value Error: Invalid JSON')
      }

      return value
    }

    case 'password': {
      if (/^\*+$/.test(value)) throw businessError('Value Error: Invalid Entry')
      return value
    }

    default: {
      return value
    }
  }
}

export const settingEndpoints: Record<string, Endpoint> = {
  get_settings: {
    permissions: [1300],
    write: false,
    async handle(ctx) {
      const [installationId, {rows}] = await Promise.all([
        ctx.installationId(),
        ctx.db.query('SELECT * FROM settings ORDER BY category, name'),
      ])
      return {
        settings: rows.map((row: Row) => {
          const value = row.value ? decryptSetting(row.value as string, installationId) : ''
          const secret = SECRET_TYPES.has(row.value_type as string) || row.sanitize === true
          return {
            category: row.category,
            description: row.description ?? null,
            name: row.name,
            services_restart: row.services_restart ?? null,
            setting_id: row.setting_id,
            title: row.title ?? null,
            value: secret && value ? SANITIZED : value,
            value_type: row.value_type,
          }
        }),
      }
    },
  },

  update_setting: {
    permissions: [SETTINGS_MODIFY, ...Object.values(CATEGORY_PERMISSION)],
    write: true,
    async handle(ctx) {
      const {setting_id: rawId, value} = ctx.body
      if (rawId === undefined || value === undefined) throw businessError('Invalid Request: Missing required parameters')
      const settingId = asUuid(rawId)
      const {rows} = settingId ? await ctx.db.query('SELECT * FROM settings WHERE setting_id = $1', [settingId]) : {rows: []}
      const setting = rows[0]
      if (!setting) throw businessError(`Invalid Request: No setting found with id (${String(rawId)})`)
      const categoryPermission = CATEGORY_PERMISSION[setting.category]
      if (!ctx.key.has(SETTINGS_MODIFY) && !(categoryPermission && ctx.key.has(categoryPermission))) {
        throw statusError(401, `User (${ctx.key.name}) is not authorized to make changes to this setting (${setting.name})`)
      }

      const stored = validateSettingValue(setting.value_type, value)
      await ctx.db.query('UPDATE settings SET value = $2 WHERE setting_id = $1', [settingId, encryptSetting(stored, await ctx.installationId())])
      return {}
    },
  },
}
