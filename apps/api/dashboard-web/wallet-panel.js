// The startup console's side panel: its vouchers and its headroom under the bureau's access rules.
import { gql } from './api.js';
import { el, fmt, money, pct, when } from './ui.js';

const WALLET = `query Wallet($o: ID!) {
  vouchers(first: 50) { edges { node { id percentCovered cap spent remaining validFrom validUntil minGreenShare clusterIds } } }
  accessRule(organizationId: $o) { maxPflopsHoursPer7Days maxClusterShare pflopsHoursLeftNow }
}`;

const $ = (id) => document.getElementById(id);

/** Shows the startup's vouchers (money left, share covered, validity) and its weekly headroom under its access rules. */
export async function loadWallet(orgId) {
  const d = await gql(WALLET, { o: orgId });
  const vouchers = d.vouchers.edges.map((e) => e.node).filter((v) => Date.parse(v.validUntil) > Date.now());
  $('vouchers-list').replaceChildren(
    ...(vouchers.length
      ? vouchers.map((v) =>
          el('li', { dataset: { voucherId: v.id } }, [
            el('strong', {}, `${money(v.remaining)} left`),
            ` of ${money(v.cap)} · covers ${fmt(v.percentCovered, 2)} % · valid until ${when(v.validUntil)} UTC`,
            v.minGreenShare != null ? ` · bookings ≥ ${pct(v.minGreenShare, 0)} % green` : '',
            v.clusterIds ? ` · ${v.clusterIds.length} cluster${v.clusterIds.length === 1 ? '' : 's'}` : '',
          ]),
        )
      : [el('li', { className: 'muted' }, 'No vouchers.')]),
  );
  const r = d.accessRule;
  const parts = [
    r?.maxPflopsHoursPer7Days != null
      ? el('p', {}, [
          el('strong', { id: 'headroom-left' }, `${fmt(r.pflopsHoursLeftNow, 1)} PFLOPS·h`),
          ` left this week (limit ${fmt(r.maxPflopsHoursPer7Days, 1)} per rolling 7 days)`,
        ])
      : el('p', { id: 'headroom-left' }, 'No weekly limit.'),
    r?.maxClusterShare != null
      ? el('p', { className: 'muted small' }, `At most ${pct(r.maxClusterShare, 0)} % of any one cluster in any hour.`)
      : null,
  ];
  $('headroom').replaceChildren(...parts.filter(Boolean));
}
