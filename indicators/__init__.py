"""The académie's indicator dashboards (issue 7): scope, filters, queries, page, exports.

- scope.py: what a person may read (their RoleAssignment territories), as querysets;
- filters.py: IndicatorFilterSet, the page's filters, turned into Criteria;
- queries.py: the five indicator groups, aggregated in the database;
- secrecy.py: which dashboards may be served at all (populations under 5, and their siblings);
- report.py: figures and tables for people, with the statistical-secrecy rule ("< 5");
- views.py, exports.py, urls.py: the page at /indicateurs/ and its CSV / XLSX exports.
"""
