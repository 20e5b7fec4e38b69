pub mod object_map;
