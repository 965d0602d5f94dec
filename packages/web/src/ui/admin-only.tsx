// Admin pages are not offered to users; reached by URL they say so (the API would refuse anyway).
import type { User } from '@utopia/shared';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n.js';

/** AdminOnly is used to wrap the admin pages. */
export function AdminOnly({ me, children }: { me: User; children: ReactNode }) {
  const { t } = useI18n();
  if (me.role !== 'admin') return <p className="page">{t.adminOnly}</p>;
  return children;
}

/** isAdmin is used to hide admin actions from users. */
export function isAdmin(me: User): boolean {
  return me.role === 'admin';
}
