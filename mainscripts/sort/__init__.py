"""Sort tool: order a folder of aligned faces by one of 16 methods and rename the files into that order.

`registry.METHODS` lists the methods with the original's menu numbers; `sorter.run` applies one to a folder.
"""
