import streamlit as st

st.title("Completeness")
st.info("This page is being built.")
