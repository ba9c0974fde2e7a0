"""The requests the REST API tests send to both servers.

``{role}`` is the first 8 characters of that node's uuid (uuid prefixes are how aiida's URLs
name nodes), ``{role_uuid}`` the whole uuid, ``{day}`` the day the fixture nodes were made.
"""

from __future__ import annotations

# Answers that must be the same, byte for byte once normalised (see restapi_support).
SAME_RICH = [
    # server
    "", "/", "/server", "/server/", "/server/endpoints",
    # node listings, paging, ordering
    "/nodes", "/nodes/", "/nodes/page", "/nodes/page/2", "/nodes/page/2/", "/nodes/page/3",
    "/nodes/page/2?perpage=5", "/nodes/page/11?perpage=5", "/nodes?limit=5&offset=2",
    "/nodes?limit=3", "/nodes?orderby=-id", "/nodes?orderby=+id", "/nodes?orderby=pk",
    "/nodes?orderby=-pk,ctime", "/nodes/page/1?orderby=-ctime,label",
    "/nodes/page/1?orderby=label", "/nodes/page/1?orderby=node_type,-id&perpage=50",
    "/nodes?orderby=user", "/nodes?&id=1", "/nodes?id=1&_=12345",
    # filters
    "/nodes?id=3", "/nodes?id>50", "/nodes?id>50&orderby=-id", "/nodes?id>=50&id<=52",
    '/nodes?id="1"', "/nodes?id=1.5", "/nodes?id=in=1,2,3", "/nodes?id=in=1,2&id=in=2,3",
    "/nodes?id=notin=1,2,3&id<8", "/nodes?pk=1", "/nodes?user=1&id=1", "/nodes?computer=1",
    '/nodes?node_type="data.core.int.Int."', '/nodes?label="answer"', "/nodes?label=answer",
    '/nodes?uuid=like="{structure_si}%"', '/nodes?uuid=like="{structure_si_upper}%"',
    '/nodes?label=like="si%"', '/nodes?label=like="Si%"', '/nodes?label=ilike="si%"',
    '/nodes?label=ilike="%SI%"', '/nodes?node_type=like="data.core.array%"',
    '/nodes?node_type=like="data.core.array_%"', '/nodes?node_type=like="data.core.array\\_%"',
    '/nodes?process_type!="__main__.describe_structure"', "/nodes?ctime={day}",
    "/nodes?ctime={day}T00", '/nodes?label="{html_label_text}"',
    # full_type
    '/nodes?full_type="data.core.%|"', '/nodes/page/1?full_type="process.%|%"&perpage=2',
    '/nodes?full_type="process.calculation.calcfunction.CalcFunctionNode.|__main__.%"',
    '/nodes?full_type="data.core.structure.StructureData.|"',
    # attributes and extras in listings
    "/nodes?attributes=true&id=5", "/nodes?extras=true&id=5", "/nodes?attributes=false&id=5",
    "/nodes?attributes=true&attributes_filter=pbc1&id<3",
    "/nodes?attributes=true&attributes_filter=cell&id=1",
    "/nodes?extras=true&extras_filter=rank,source&id<3",
    "/nodes?attributes=true&attributes_filter=process_state,exit_status,sealed,nope&id>40",
    "/nodes/page/1?attributes=true&perpage=10", "/nodes/page/2?extras=true&perpage=25",
    # one node
    "/nodes/{structure_si}", "/nodes/{structure_si_uuid}", "/nodes/{structure_si_dash}",
    "/nodes/{structure_si}?attributes=true", "/nodes/{html_label}", "/nodes/{calcjob}",
    # contents
    "/nodes/{structure_si}/contents/attributes", "/nodes/{large_dict}/contents/attributes",
    "/nodes/{structure_si}/contents/attributes?attributes_filter=pbc1",
    "/nodes/{structure_si}/contents/attributes?attributes_filter=pbc",
    '/nodes/{structure_si}/contents/attributes?attributes_filter="pbc1"',
    "/nodes/{structure_si}/contents/attributes?attributes_filter=pbc1,cell",
    "/nodes/{structure_si}/contents/extras",
    "/nodes/{structure_si}/contents/extras?extras_filter=rank",
    "/nodes/{calcjob}/contents/extras", "/nodes/{html_label}/contents/attributes",
    "/nodes/{structure_si}/contents/comments", "/nodes/{calcjob}/contents/comments",
    "/nodes/{int}/contents/comments",
    # derived properties
    "/nodes/{structure_si}/contents/derived_properties",
    "/nodes/{structure_nacl}/contents/derived_properties",
    "/nodes/{structure_ni3al}/contents/derived_properties",
    "/nodes/{structure_slab}/contents/derived_properties",
    "/nodes/{bands}/contents/derived_properties",
    "/nodes/{kpoints_mesh}/contents/derived_properties",
    "/nodes/{calcjob}/contents/derived_properties",
    "/nodes/{workchain}/contents/derived_properties",
    "/nodes/{calcfunction_describe}/contents/derived_properties",
    # links
    "/nodes/{structure_si}/links/incoming", "/nodes/{structure_si}/links/outgoing",
    "/nodes/{calcjob}/links/incoming", "/nodes/{calcjob}/links/outgoing",
    "/nodes/{workchain}/links/incoming", "/nodes/{workchain}/links/outgoing",
    "/nodes/{workfunction_outer}/links/outgoing",
    '/nodes/{calcjob}/links/outgoing?full_type="data.core.folder.FolderData.|"',
    '/nodes/{calcjob}/links/incoming?node_type="data.core.dict.Dict."&orderby=-id',
    "/nodes/{calcjob}/links/incoming/page/1?perpage=2",
    "/nodes/{calcjob}/links/incoming/page/2?perpage=2",
    "/nodes/{structure_si}/links/outgoing/page/2?perpage=2",
    "/nodes/{structure_si}/links/outgoing?attributes=true",
    "/nodes/{structure_si}/links/outgoing?orderby=-id",
    # provenance tree
    "/nodes/{structure_si}/links/tree", "/nodes/{calcjob}/links/tree",
    "/nodes/{calcjob}/links/tree?in_limit=2&out_limit=1", "/nodes/{workchain}/links/tree",
    "/nodes/{bands}/links/tree", "/nodes/{kpoints_mesh}/links/tree",
    "/nodes/{kpoints_list}/links/tree", "/nodes/{code_installed}/links/tree",
    "/nodes/{code_portable}/links/tree",
    # repository
    "/nodes/{structure_si}/repo/list", "/nodes/{folder}/repo/list",
    '/nodes/{folder}/repo/list?filename="sub"', '/nodes/{folder}/repo/list?filename="sub/"',
    '/nodes/{folder}/repo/list?filename="./sub"', '/nodes/{folder}/repo/list?filename="sub/deeper"',
    '/nodes/{folder}/repo/contents?filename="readme.txt"',
    '/nodes/{folder}/repo/contents?filename="sub/binary.bin"',
    '/nodes/{calcjob}/repo/list?filename=".aiida"',
    '/nodes/{calcjob}/repo/contents?filename=".aiida/calcinfo.json"',
    '/nodes/{calcjob_retrieved}/repo/contents?filename="_scheduler-stdout.txt"',
    "/nodes/{code_portable}/repo/list",
    # downloads
    "/nodes/download_formats",
    '/nodes/download_formats?full_type="data.core.structure.StructureData.|"',
    '/nodes/download_formats?full_type="data.core.int.Int.|"',
    "/nodes/{structure_si}/download?download_format=xsf",
    "/nodes/{structure_si}/download?download_format=xsf&download=false",
    "/nodes/{structure_si}/download?download_format=xyz",
    "/nodes/{structure_nacl}/download?download_format=xyz",
    "/nodes/{structure_ni3al}/download?download_format=xsf",
    "/nodes/{structure_si}/download?download_format=chemdoodle",
    "/nodes/{structure_slab}/download?download_format=chemdoodle",
    "/nodes/{bands}/download?download_format=json",
    "/nodes/{bands}/download?download_format=json&download=false",
    "/nodes/{bands}/download?download_format=dat_multicolumn",
    "/nodes/{bands}/download?download_format=dat_blocks",
    "/nodes/{bands}/download?download_format=gnuplot",
    "/nodes/{array}/download?download_format=json", "/nodes/{xy}/download?download_format=json",
    "/nodes/{kpoints_mesh}/download?download_format=json",
    "/nodes/{kpoints_list}/download?download_format=json",
    "/nodes/{trajectory}/download?download_format=json",
    "/nodes/{code_installed}/download?download_format=yaml",
    # overviews
    "/nodes/statistics", "/nodes/statistics?user=1", "/nodes/full_types",
    "/nodes/full_types_count", "/nodes/full_types_count?user=1",
    "/nodes/projectable_properties", "/processes/projectable_properties",
    "/users/projectable_properties", "/groups/projectable_properties",
    # users, computers, groups
    "/users", "/users/page/1", "/users?orderby=-first_name", '/users?email="{email}"',
    "/computers", "/computers/{computer}", "/computers/{computer_uuid}", "/computers/page/1",
    "/groups", "/groups?orderby=-id", '/groups?label="fixtures/workflows"',
    "/groups/{group_structures}", "/groups/page/1?perpage=1",
    # processes and calculation jobs
    "/processes/{workchain}/report", "/processes/{calcjob}/report",
    "/processes/{calcfunction_excepted}/report", "/processes/{int}/report",
    "/calcjobs/{calcjob}/input_files", "/calcjobs/{calcjob}/output_files",
    "/calcjobs/{structure_si}/input_files",
    "/calcjobs/{calcfunction_describe}/output_files",
    # errors aiida answers with its own statuses (400, 404, 501)
    "/nodes?perpage=5", "/nodes/page/99", "/nodes/page/0", "/nodes/page/abc", "/nodes/xyz",
    "/nodes/zzzz", "/nodes/{structure_si}/foo", "/nodes/00000000", "/nodes/{structure_si_upper}",
    "/nodes/{structure_si}/page", "/nodes?limit=500", "/nodes/page/1?perpage=500",
    "/nodes?limit=1&perpage=2", "/nodes/page/1?limit=2", "/nodes?limit=1&limit=2",
    "/nodes?node_type=data.core.int.Int.", "/nodes?id=1&&", "/nodes?id=3abc",
    '/nodes?label="unterminated', "/nodes?ctime=2026-13-45", "/nodes?ctime={day}T10:00+01:00",
    '/nodes/{calcjob}?full_type="data.core.folder.FolderData.|"', "/nodes/{calcjob}?id=1",
    '/nodes?attributes="yes"', "/nodes?attributes=1", "/nodes?orderby<id",
    "/nodes/projectable_properties?x=1", '/nodes?profile="other"', '/users?profile="other"',
    "/nodes/{structure_si}/download", "/nodes/{structure_si}/download?download_format=nope",
    "/nodes/{calcjob}/download?download_format=json", "/nodes/download",
    '/nodes/{folder}/repo/list?filename="readme.txt"', "/nodes/{folder}/repo/contents",
    '/nodes/{folder}/repo/contents?filename="nope"', '/nodes/download_formats?full_type="bad"',
    '/nodes/download_formats?full_type="process.calculation.calcjob.CalcJobNode.|'
    'aiida.calculations:quantumespresso.pw"',
    "/users/x", "/users/1/page", "/computers/zz", "/computers/{computer}/page", "/groups/0000",
    "/processes/{structure_si}/report", "/calcjobs/{calcjob_retrieved}/output_files",
    "/nodes/{calcjob}/links", "/unknown", "/api/v4",
]  # fmt: skip

SAME_SMALL = [
    "/server", "/nodes", "/nodes/page/1?perpage=2", "/nodes/statistics", "/nodes/full_types",
    "/nodes/full_types_count", "/users", "/computers", "/groups",
    "/nodes/{small_calcfunction}", "/nodes/{small_calcfunction}/links/incoming",
    "/nodes/{small_calcfunction}/links/outgoing", "/nodes/{small_calcfunction}/links/tree",
    "/nodes/{small_calcfunction}/repo/list",
    '/nodes/{small_calcfunction}/repo/contents?filename="source_file"',
    "/nodes/{small_calcfunction}/contents/attributes", "/nodes/{small_sum}/contents/extras",
    "/processes/{small_calcfunction}/report", "/nodes?attributes=true&attributes_filter=value",
]  # fmt: skip

# aiida-core answers 500 (an exception it did not expect); we answer with the same message and
# the status of the same failure where aiida does catch it: 400 for a bad request, 404 for what
# does not exist.
SAME_MESSAGE = {
    "/nodes?foo=3": 400,
    "/nodes?orderby=foo": 400,
    "/computers?foo=1": 400,
    "/users?foo=1": 400,
    "/groups?foo=1": 400,
    '/nodes?full_type="bad"': 400,
    '/nodes?full_type="a|b|c"': 400,
    '/nodes/{calcjob}/links/incoming?link_type="input_calc"': 400,
    "/nodes/{structure_si}/links/outgoing?orderby=foo": 400,
    '/nodes/{calcjob}/links/tree?in_limit="a"': 400,
    "/nodes/report": 400,
    '/nodes/{folder}/repo/contents?filename="sub"': 400,
    '/nodes/{folder}/repo/list?filename="/sub"': 400,
    "/nodes/{folder}/repo/list?filename=3": 400,
    '/nodes/{folder}/repo/list?filename="nope"': 404,
    "/nodes/{structure_slab}/download?download_format=xsf": 400,
    "/nodes/{structure_slab}/download?download_format=xyz": 400,
    "/calcjobs/00000000/input_files": 404,
    "/calcjobs/abcdef12/input_files": 404,
    "/calcjobs/{ambiguous}/input_files": 404,
    "/calcjobs/{calcjob}/output_files?filename=sub": 404,
    '/calcjobs/{calcjob}/input_files?filename="sub"': 404,
}
