import streamlit as st

st.title("Overlaps")
st.info("This page is being built.")
